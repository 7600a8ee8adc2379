package io.tally.common.internal.redis;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RedisFailures#line}: the log line for any Redis failure, without what Redisson appends. */
class RedisFailuresLineTest {
    private static final TallyConfig CONFIG = TallyConfig.builder().set(TallyConfig.REDIS_URL, "redis://h:1").build();
    private static final String REDISSON_TAIL = " script: 360bd61343e2da5ecd87257599d6f27c0912810f, on @user_script:17.."
            + " channel: [id: 0x1a8a8ba5, L:/127.0.0.1:59746 - R:127.0.0.1/127.0.0.1:40351] data: CommandData "
            + "[command=(EVALSHA), params: [360bd61343e2da5ecd87257599d6f27c0912810f, 3, k], promise: x]";

    @Test
    void aFailureDescribeKnowsGetsItsLine() {
        assertThat(RedisFailures.line(new RedisException("NOREPLICAS Not enough good replicas to write." + REDISSON_TAIL),
                CONFIG)).isEqualTo("Redis at redis://h:1 refuses writes: fewer replicas than its min-replicas-to-write "
                + "are in sync (NOREPLICAS); check its replicas (INFO replication)");
    }

    @Test
    void anyOtherReplyIsRedisTextAlone() {
        assertThat(RedisFailures.line(new CompletionException(new RedisException("WEIRD it broke." + REDISSON_TAIL)),
                CONFIG)).isEqualTo("Redis at redis://h:1 failed: WEIRD it broke");
        assertThat(RedisFailures.line(new RedisException("XYZ odd. channel: [id: 0x1] command: (PING), params: []"),
                CONFIG)).isEqualTo("Redis at redis://h:1 failed: XYZ odd");
    }

    @Test
    void textThatOnlyLooksLikeAScriptSuffixIsKept_andAMessagelessFailureIsNamedByItsClass() {
        assertThat(RedisFailures.line(new RedisException("ERR no script: named so"), CONFIG))
                .isEqualTo("Redis at redis://h:1 failed: ERR no script: named so");
        assertThat(RedisFailures.line(new IllegalStateException(), CONFIG))
                .isEqualTo("Redis at redis://h:1 failed: IllegalStateException");
    }

    @Test
    void aFailureWithoutReplyKeepsItsMessage() {
        assertThat(RedisFailures.line(new RedisConnectionException("partition 0: stream read at redis://h:1 failed: "
                + "Redis closed the connection"), CONFIG))
                .isEqualTo("Redis at redis://h:1 failed: partition 0: stream read at redis://h:1 failed: Redis closed "
                        + "the connection");
    }
}
