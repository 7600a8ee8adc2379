package io.tally.producer.http;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The bearer tokens the service accepts, from {@code TALLY_API_TOKENS} and {@code --api-tokens-file}.
 * Only SHA-256 digests are kept, and a presented token is compared with every one of them in
 * constant time, so neither timing nor a heap dump gives a token away. Tokens are never logged.
 */
public final class ApiTokens {
    private final List<byte[]> digests;
    private final boolean insecure;

    private ApiTokens(List<byte[]> digests, boolean insecure) {
        this.digests = List.copyOf(digests);
        this.insecure = insecure;
    }

    /**
     * The tokens of a configuration.
     *
     * @throws ConfigException when no token is configured and {@code --insecure} is not set, or the
     *                         tokens file cannot be read
     */
    public static ApiTokens from(TallyConfig config) {
        List<String> tokens = new ArrayList<>();
        for (String t : config.get(TallyConfig.API_TOKENS).split(",")) {
            if (!t.isBlank()) {
                tokens.add(t.strip());
            }
        }
        String file = config.get(TallyConfig.API_TOKENS_FILE);
        if (!file.isEmpty()) {
            tokens.addAll(readFile(Path.of(file)));
        }
        boolean insecure = config.get(TallyConfig.API_INSECURE);
        if (tokens.isEmpty() && !insecure) {
            throw new ConfigException("no API token configured; set TALLY_API_TOKENS (comma-separated) or "
                    + "--api-tokens-file FILE, or start with --insecure to accept every request (local trials only)");
        }
        return new ApiTokens(tokens.stream().map(ApiTokens::digest).toList(), insecure && tokens.isEmpty());
    }

    /** True when no token is configured and every request is let in. */
    public boolean insecure() {
        return insecure;
    }

    public int count() {
        return digests.size();
    }

    /** Whether an {@code Authorization} header value carries an accepted bearer token. */
    boolean accepts(String authorization) {
        if (insecure) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = digest(authorization.substring(7).strip());
        boolean ok = false;
        for (byte[] d : digests) {
            ok |= MessageDigest.isEqual(d, presented);
        }
        return ok;
    }

    private static List<String> readFile(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new ConfigException("cannot read --api-tokens-file " + file + ": " + e.getMessage());
        }
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
