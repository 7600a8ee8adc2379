package io.tally.processor.internal.housekeeping;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One partition whose housekeeping script Redis refuses (another program made its series index a string)
 * does not take the others' housekeeping with it: their replies are still read, so a large triggers hash
 * is walked page after page (its scan cursor kept) and every finished trigger in it is deleted, and a lease
 * found lost is still reported.
 */
@ExtendWith(RealRedisExtension.class)
class HousekeepingPartitionIsolationTest {
    private static final LuaScript RAW = LuaScript.of("raw_command", "return redis.call(unpack(ARGV))");
    /** Active triggers (two fields each) filling more than one HSCAN page, and finished ones among them. */
    private static final int ACTIVE = 3_000;
    private static final int FINISHED = 300;
    private static final LuaScript FILL = LuaScript.of("fill_triggers", """
            for i = 1, tonumber(ARGV[1]) do
              redis.call('HSET', KEYS[1], 'ta' .. i, '{"kind":"time"}', 'ta' .. i .. ':status', 'active')
            end
            for i = 1, tonumber(ARGV[2]) do
              redis.call('HSET', KEYS[1], 'tf' .. i, '{"kind":"time"}', 'tf' .. i .. ':status', 'fired',
                'tf' .. i .. ':lastFiredAt', '1000')
            end
            return 1""");
    private static final String ME = "me:0001";
    private RedissonClient client;
    private Keys keys;

    @BeforeEach
    void setUp(TestRedis redis) {
        client = redis.client();
        keys = new Keys(TestRedis.uniqueNamespace(), PartitionTags.spread(2));
        for (int p = 0; p < 2; p++) {
            raw(keys.lease(p), "SET", keys.lease(p), ME);
            for (String stream : List.of(keys.ops(p), keys.events(p))) {
                raw(stream, "XGROUP", "CREATE", stream, "tally", "0", "MKSTREAM");
            }
        }
        FILL.eval(client, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(keys.triggers(0)), ACTIVE, FINISHED);
        raw(keys.seriesIndex(1), "SET", keys.seriesIndex(1), "not a sorted set");
    }

    @AfterEach
    void tearDown() {
        client.getKeys().deleteByPattern(keys.namespace() + ":*");
        client.shutdown();
    }

    private Object raw(String key, Object... args) {
        return RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(key), args);
    }

    private long finishedLeft() {
        long left = 0;
        for (int i = 1; i <= FINISHED; i++) {
            if (client.getMap(keys.triggers(0), StringCodec.INSTANCE).containsKey("tf" + i)) {
                left++;
            }
        }
        return left;
    }

    @Test
    void aRefusedScriptOnOnePartition_leavesTheOthersTriggerRetentionWalkingTheWholeHash() {
        Housekeeping housekeeping = new Housekeeping(client, keys, ME, 0, 60_000, new Retention(0, 0, 1),
                ProcessorListener.NOOP);
        housekeeping.load();
        List<Integer> lost = new ArrayList<>();
        for (int run = 0; run < 20; run++) {
            housekeeping.run(Set.of(0, 1), List.of(ME), lost::add);
        }

        assertThat(finishedLeft()).as("finished triggers left after 20 passes").isZero();
        // each active trigger keeps its definition and status, and gets a share of 0 from the time-rate backfill
        // (a time trigger without 'every' adds no firings a second)
        assertThat(client.getMap(keys.triggers(0), StringCodec.INSTANCE).size()).isEqualTo(3 * ACTIVE);
        assertThat(client.getMap(keys.triggers(0), StringCodec.INSTANCE).get("ta1:rate")).isEqualTo("0");
        assertThat(lost).isEmpty();
    }

    @Test
    void aLeaseLostOnOnePartition_isReported_whileAnotherPartitionsScriptIsRefused() {
        Housekeeping housekeeping = new Housekeeping(client, keys, ME, 0, 60_000, Retention.FOREVER,
                ProcessorListener.NOOP);
        housekeeping.load();
        raw(keys.lease(0), "SET", keys.lease(0), "other:0002");
        List<Integer> lost = new ArrayList<>();

        housekeeping.run(Set.of(0, 1), List.of(ME), lost::add);

        assertThat(lost).contains(0).doesNotContain(1);
    }
}
