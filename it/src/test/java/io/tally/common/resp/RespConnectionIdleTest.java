package io.tally.common.resp;

import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespReader;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A connection that Redis closes while it is idle (its {@code timeout} setting) is known to be closed at
 * once, so that no command is written into it; a busy one, or one idle past its own read timeout, stays
 * open. Against a real redis-server.
 */
class RespConnectionIdleTest {
    private static final byte[] PING = RespConnection.encode("PING");

    @Test
    void redisClosingAnIdleConnectionIsSeenBeforeTheNextCommand() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start("--timeout", "1");
             RespConnection connection = RespConnection.open(endpoint(redis, 5_000))) {
            assertThat(connection.send(PING, RespReader::object).get()).isEqualTo("PONG");
            await().atMost(Duration.ofSeconds(5)).until(() -> !connection.isOpen());
        }
    }

    @Test
    void anIdleConnectionOutlivesItsOwnReadTimeout() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start();
             RespConnection connection = RespConnection.open(endpoint(redis, 200))) {
            assertThat(connection.send(PING, RespReader::object).get()).isEqualTo("PONG");
            Pause.ms(1_000); // five read timeouts with nothing in flight
            assertThat(connection.isOpen()).isTrue();
            for (int i = 0; i < 100; i++) {
                assertThat(connection.send(PING, RespReader::object).get()).isEqualTo("PONG");
            }
            assertThat(connection.isOpen()).isTrue();
        }
    }

    @Test
    void aCommandSentWhileTheConnectionWaitedIdle_getsItsOwnTimeout_notMore() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start();
             RespConnection connection = RespConnection.open(endpoint(redis, 2_000))) {
            assertThat(connection.send(PING, RespReader::object).get()).isEqualTo("PONG");
            Pause.ms(1_000); // the reader waits on the socket, its read timeout half gone
            redis.pause();
            try {
                long sent = System.nanoTime();
                CompletableFuture<Object> reply = connection.send(PING, RespReader::object);
                assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(SocketTimeoutException.class);
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
                assertThat(waitedMs).as("failed after its 2,000 ms timeout, not the idle wait's leftover plus a new one")
                        .isBetween(1_900L, 2_400L);
            } finally {
                redis.resume();
            }
        }
    }

    @Test
    void aConnectionClosedUnderACommandIsNotCalledIdle() throws Exception {
        RedisServer.requireAvailable();
        try (RedisServer redis = RedisServer.start();
             RespConnection connection = RespConnection.open(endpoint(redis, 5_000))) {
            assertThat(connection.send(PING, RespReader::object).get()).isEqualTo("PONG"); // the reader now waits idle
            CompletableFuture<Object> reply = connection.send(RespConnection.encode("BLPOP", "nothing", "0"), RespReader::object);
            await().atMost(Duration.ofSeconds(5)).until(() -> redis.cli("CLIENT", "LIST").contains("cmd=blpop"));
            redis.cli("CLIENT", "KILL", "TYPE", "normal"); // as Sentinel does to a demoted master's clients
            assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().hasMessageContaining("closed the connection").hasMessageNotContaining("idle");
        }
    }

    private static RespEndpoint endpoint(RedisServer redis, int timeoutMs) {
        return new RespEndpoint("127.0.0.1", redis.port(), null, null, null, timeoutMs, "idle-test");
    }
}
