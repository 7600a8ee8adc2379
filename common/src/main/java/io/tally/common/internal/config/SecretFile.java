package io.tally.common.internal.config;

import io.tally.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

/**
 * Reads a file that holds secrets (a password, API tokens) and warns when other users of the machine
 * may read it too: a file readable by its group or by everyone gives the secret to every account that
 * shares the host. File systems without POSIX permissions are not checked.
 */
public final class SecretFile {
    private static final Logger log = LoggerFactory.getLogger(SecretFile.class);
    private static final Set<PosixFilePermission> SHARED = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.OTHERS_READ);

    private SecretFile() {
    }

    /**
     * The file's lines, after a WARN naming the file and the fix when its group or others may read it.
     *
     * @param option the option that named the file, for the messages ({@code --api-tokens-file})
     * @throws ConfigException when the file cannot be read
     */
    public static List<String> readLines(Path file, String option) {
        warnIfShared(file, option);
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("Cannot read " + option + " " + file + ": " + e);
        }
    }

    /** True when the file's group or others may read it (false where permissions are not POSIX). */
    static boolean readableByOthers(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            return perms.stream().anyMatch(SHARED::contains);
        } catch (UnsupportedOperationException | IOException e) {
            return false;
        }
    }

    private static void warnIfShared(Path file, String option) {
        if (readableByOthers(file)) {
            String perms;
            try {
                perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
            } catch (IOException e) {
                perms = "?";
            }
            log.warn("{} {} is readable by other users ({}); its secrets are theirs too. Run: chmod 600 {}",
                    option, file, perms, file);
        }
    }
}
