package io.tally.processor.internal.trigger;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(RealRedisExtension.class)
class TimeTriggerSchedulerTest {
    private static final String LEASE = "p1:token";

    /**
     * Schedule entries that fire nothing (another program's members, finished triggers' leftovers) are
     * dropped at most 200 per call; a full call of them must not leave the due triggers behind them for
     * the next poll, or enough of them delay every time trigger of the partition by minutes.
     */
    @Test
    void aCallFullOfEntriesThatFireNothing_isFollowedAtOnceByTheNext_soTheDueTriggerBehindThemFires(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try {
            Namespace.create(redis, config);
            Keys keys = TestRedis.keys(config);
            redis.getScript(StringCodec.INSTANCE).eval(RScript.Mode.READ_WRITE, """
                    redis.call('SET', KEYS[1], ARGV[1])
                    for i = 1, 1000 do redis.call('ZADD', KEYS[2], 0, 'gone-' .. i) end
                    redis.call('HSET', KEYS[3], 'A', '{"kind":"time"}', 'A:status', 'active')
                    redis.call('ZADD', KEYS[2], 1, 'A')
                    return 'OK'
                    """, RScript.ReturnType.VALUE, List.of(keys.lease(0), keys.schedule(0), keys.triggers(0)), LEASE);
            // one poll an hour: only the scheduler's own "go again" may send a second call
            TimeTriggerScheduler scheduler = new TimeTriggerScheduler(redis, keys, LEASE, 3_600_000, ProcessorListener.NOOP);
            scheduler.load();
            int fired = 0;
            long end = System.nanoTime() + 5_000_000_000L;
            while (fired == 0 && System.nanoTime() < end) {
                fired += scheduler.runIfDue(Set.of(0), p -> { });
                fired += scheduler.drain(p -> { });
            }
            assertThat(fired).as("the due trigger fired").isEqualTo(1);
            assertThat(redis.getMap(keys.triggers(0), StringCodec.INSTANCE).get("A:status")).isEqualTo("fired");
            assertThat(redis.getScoredSortedSet(keys.schedule(0), StringCodec.INSTANCE).size()).isZero();
        } finally {
            redis.shutdown();
        }
    }
}
