package io.tally.app.cli;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write a partition's keys: {@code tally status} over a partition whose events stream holds
 * another type shows every other partition, that one's row as unknown ({@code ?}), names the key on stderr and
 * exits 1, instead of failing whole with Redis's WRONGTYPE.
 */
@ExtendWith(RealRedisExtension.class)
class StatusForeignKeysCliTest {

    @Test
    void anEventsStreamOfAnotherType_theOtherPartitionsAreShown_theKeyNamed_exit1(TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            String namespace = TestRedis.uniqueNamespace();
            assertThat(TallyCliTest.run("init", "--redis-url", testRedis.url(), "--namespace", namespace,
                    "--partitions", "2").code()).isZero();
            Keys keys = Namespace.keys(redis, namespace);
            for (int i = 0; i < 3; i++) {
                redis.<String, String>getStream(keys.ops(1), StringCodec.INSTANCE)
                        .add(StreamAddArgs.entries(Map.of("op", "incr", "counter", "c", "value", "1")));
            }
            redis.getKeys().delete(keys.events(0));
            redis.getBucket(keys.events(0), StringCodec.INSTANCE).set("junk"); // another program's

            TallyCliTest.Run status = TallyCliTest.run("status", "--redis-url", testRedis.url(), "--namespace", namespace);

            assertThat(status.code()).as(status.err()).isEqualTo(1);
            assertThat(status.out()).contains("partitions 2").contains("backlog 3").contains("unreadable 1")
                    .containsPattern("(?m)^1 +ops +- +3 ")
                    .containsPattern("(?m)^0 +events +- +\\? ");
            assertThat(status.err()).contains("partition 0 cannot be read: " + keys.events(0)
                    + " holds a string, not a stream").doesNotContain("Exception").doesNotContain("script");
        } finally {
            redis.shutdown();
        }
    }
}
