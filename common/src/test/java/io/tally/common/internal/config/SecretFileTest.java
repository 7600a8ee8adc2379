package io.tally.common.internal.config;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretFileTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger(SecretFile.class);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void capture() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logs);
    }

    @Test
    void redisPasswordFile_readableByEveryone_isUsedWithAWarningNamingFileAndFix(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("redis-password");
        Files.writeString(file, "s3cret-password\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_PASSWORD_FILE, file).build();

        assertThat(config.redisPassword()).isEqualTo("s3cret-password");

        assertThat(warnings()).singleElement().satisfies(w -> assertThat(w).contains("--redis-password-file " + file)
                .contains("chmod 600 " + file).doesNotContain("s3cret"));
    }

    @Test
    void groupReadable_warns_ownerOnly_doesNot(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "x\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        SecretFile.readLines(file, "--some-file");
        assertThat(warnings()).hasSize(1);

        logs.list.clear();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertThat(SecretFile.readLines(file, "--some-file")).containsExactly("x");
        assertThat(warnings()).isEmpty();
    }

    @Test
    void missingFile_isAConfigErrorNamingTheOption(@TempDir Path dir) {
        assertThatThrownBy(() -> SecretFile.readLines(dir.resolve("nope"), "--redis-password-file"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Cannot read --redis-password-file");
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
