package io.tally.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The test kit's redis-server launcher. */
class RedisServerTest {

    @Test
    void aServerInATemporaryFolder_removesTheFolderOnClose() {
        RedisServer.requireAvailable();
        Path dir;
        try (RedisServer server = RedisServer.start()) {
            dir = server.dir();
            assertThat(server.cli("PING")).isEqualTo("PONG");
        }
        assertThat(dir).doesNotExist();
    }

    @Test
    void aServerInTheCallersFolder_leavesItsLogThereOnClose(@TempDir Path tmp) {
        RedisServer.requireAvailable();
        Path dir = tmp.resolve("redis");
        try (RedisServer server = RedisServer.startIn(dir)) {
            assertThat(server.dir()).isEqualTo(dir);
            assertThat(server.cli("CONFIG", "GET", "dir")).contains(dir.toString());
        }
        assertThat(Files.isRegularFile(dir.resolve("redis.log"))).isTrue();
    }
}
