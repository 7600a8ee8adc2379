package io.tally.app.cli;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dead-letter stream another program wrote with explicit ids beyond a signed 64-bit sequence
 * ({@code 5-18446744073709551615}, valid in Redis): {@code dlq list}, {@code replay} and {@code purge}
 * still see and handle every letter, instead of failing on the id with "Unexpected exception".
 */
@ExtendWith(RealRedisExtension.class)
class DlqForeignIdsTest {
    private static final String HUGE_SEQ = "5-18446744073709551615";

    private RedissonClient redis;
    private String url;
    private String namespace;
    private Keys keys;

    @BeforeEach
    void open(TestRedis testRedis) {
        redis = testRedis.client();
        url = testRedis.url();
        namespace = TestRedis.uniqueNamespace();
        assertThat(TallyCliTest.run("init", "--redis-url", url, "--namespace", namespace, "--partitions", "1").code())
                .isZero();
        keys = Namespace.keys(redis, namespace);
        xadd(keys.dlq(0), "4-1", "bad_number", "first");
        xadd(keys.dlq(0), HUGE_SEQ, "unknown_op", "second");
        xadd(keys.dlq(0), "6-0", "unknown_op", "third");
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Test
    void listReplayAndPurge_handleEveryLetter() {
        TallyCliTest.Run list = dlq("list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("4-1").contains(HUGE_SEQ).contains("6-0").contains("3 dead letter(s)");

        TallyCliTest.Run replay = dlq("replay", "--reason", "unknown_op");
        assertThat(replay.code()).as(replay.err()).isZero();
        assertThat(replay.out()).contains("p0 " + HUGE_SEQ + " -> ops ").contains("replayed 2 dead letter(s)");
        assertThat(redis.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(2);

        xadd(keys.dlq(0), "7-18446744073709551615", "unknown_op", "fourth");
        TallyCliTest.Run purge = dlq("purge", "--all");
        assertThat(purge.code()).as(purge.err()).isZero();
        assertThat(purge.out()).contains("purged 2 dead letter(s)");
        assertThat(redis.getStream(keys.dlq(0), StringCodec.INSTANCE).size()).isZero();
    }

    private TallyCliTest.Run dlq(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "dlq";
        System.arraycopy(args, 0, all, 1, args.length);
        System.arraycopy(new String[] {"--redis-url", url, "--namespace", namespace}, 0, all, args.length + 1, 4);
        return TallyCliTest.run(all);
    }

    /** XADD with an explicit id, as another program may (Redisson cannot parse such ids). */
    private void xadd(String key, String id, String reason, String counter) {
        redis.getScript(StringCodec.INSTANCE).eval(key, RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], ARGV[1], 'reason', ARGV[2], 'error', 'x', 'source', 'ops', "
                        + "'source_id', '1-0', 'f.op', 'bogus', 'f.counter', ARGV[3])",
                RScript.ReturnType.VALUE, List.of(key), id, reason, counter);
    }
}
