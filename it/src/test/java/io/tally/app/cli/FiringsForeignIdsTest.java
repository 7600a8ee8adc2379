package io.tally.app.cli;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A firings stream holding an entry another program wrote with an id part past 2^63 (valid in Redis):
 * {@code tally firings} lists every firing, newest first, instead of failing with "Unexpected exception".
 */
@ExtendWith(RealRedisExtension.class)
class FiringsForeignIdsTest {

    @Test
    void recentFirings_readAStreamWithAnIdPastTwoToThe63(TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            String namespace = TestRedis.uniqueNamespace();
            assertThat(TallyCliTest.run("init", "--redis-url", testRedis.url(), "--namespace", namespace,
                    "--partitions", "2").code()).isZero();
            Keys keys = Namespace.keys(redis, namespace);
            firing(redis, keys.firings(0), "5-18446744073709551615", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "older");
            firing(redis, keys.firings(1), "6-0", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAW", "newer");
            firing(redis, keys.firings(0), "7-18446744073709551615", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "newest");

            TallyCliTest.Run firings = TallyCliTest.run("firings", "--redis-url", testRedis.url(), "--namespace",
                    namespace, "--limit", "2");

            assertThat(firings.code()).as(firings.err()).isZero();
            assertThat(firings.out()).contains("note=newest").contains("note=newer").doesNotContain("note=older");
            assertThat(firings.out().indexOf("note=newest")).isLessThan(firings.out().indexOf("note=newer"));
        } finally {
            redis.shutdown();
        }
    }

    private static void firing(RedissonClient redis, String key, String id, String trigger, String note) {
        redis.getScript(StringCodec.INSTANCE).eval(key, RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], ARGV[1], 'firing_id', ARGV[2] .. ':1-1', 'trigger', ARGV[2], "
                        + "'kind', 'event', 'cause', '1-1', 'fired_at', '1893456000000', 'p.note', ARGV[3])",
                RScript.ReturnType.VALUE, List.of(key), id, trigger, note);
    }
}
