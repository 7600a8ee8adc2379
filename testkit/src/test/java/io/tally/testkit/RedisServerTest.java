package io.tally.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aPortTakenBeforeRedisServerBindsIt_isChosenAgain_andAnyOtherFailureIsNot() throws Exception {
        RedisServer.requireAvailable();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            List<Integer> ports = new ArrayList<>();
            try (RedisServer server = RedisServer.onFreePorts(() -> {
                int port = ports.isEmpty() ? taken.getLocalPort() : RedisServer.freePort();
                ports.add(port);
                return RedisServer.startOnPort(port);
            })) {
                assertThat(ports).hasSize(2).first().isEqualTo(taken.getLocalPort());
                assertThat(server.port()).isEqualTo(ports.get(1));
                assertThat(server.cli("PING")).isEqualTo("PONG");
            }
            assertThat(Files.list(Path.of(System.getProperty("java.io.tmpdir")))
                    .filter(d -> d.getFileName().toString().startsWith("tally-redis-"))
                    .filter(d -> Files.exists(d.resolve("redis.log")))
                    .filter(d -> readQuietly(d.resolve("redis.log")).contains(":" + taken.getLocalPort() + ":")))
                    .as("the failed attempt's folder is removed").isEmpty();
            List<Integer> badStarts = new ArrayList<>();
            assertThatThrownBy(() -> RedisServer.onFreePorts(() -> {
                badStarts.add(1);
                return RedisServer.startOnPort(RedisServer.freePort(), "--no-such-option", "x");
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("exited");
            assertThat(badStarts).as("a start that failed for another reason is not tried again").hasSize(1);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
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
