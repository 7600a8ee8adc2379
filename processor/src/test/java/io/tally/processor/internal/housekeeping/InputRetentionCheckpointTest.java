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
 * Input retention never trims an entry the partition's checkpoint has not passed. Another program that
 * acknowledges entries of the {@code tally} group (XACK) takes them off the pending list before they are
 * applied: the apply script then answers GAP and the processor warns that they are out of reach, which
 * stays visible; trimming them would turn that into a silent loss, the next batch following the
 * checkpoint again.
 */
@ExtendWith(RealRedisExtension.class)
class InputRetentionCheckpointTest {
    private static final LuaScript RAW = LuaScript.of("raw_command", "return redis.call(unpack(ARGV))");
    private static final String ME = "me:0001";
    private RedissonClient client;
    private Keys keys;
    private Housekeeping housekeeping;
    private final List<Integer> lost = new ArrayList<>();

    @BeforeEach
    void setUp(TestRedis redis) {
        client = redis.client();
        keys = new Keys(TestRedis.uniqueNamespace(), PartitionTags.spread(1));
        housekeeping = new Housekeeping(client, keys, ME, 0, 60_000, Retention.FOREVER, ProcessorListener.NOOP);
        housekeeping.load();
        raw(keys.lease(0), "SET", keys.lease(0), ME);
        for (String stream : List.of(keys.ops(0), keys.events(0))) {
            raw(stream, "XGROUP", "CREATE", stream, "tally", "0", "MKSTREAM");
        }
        for (int i = 1; i <= 3; i++) {
            raw(keys.ops(0), "XADD", keys.ops(0), i + "-0", "op", "incr", "counter", "c");
        }
        // another program reads the three entries in the tally group and acknowledges them
        rawList(keys.ops(0), "XREADGROUP", "GROUP", "tally", "intruder", "COUNT", "3", "STREAMS", keys.ops(0), ">");
        raw(keys.ops(0), "XACK", keys.ops(0), "tally", "1-0", "2-0", "3-0");
    }

    @AfterEach
    void tearDown() {
        client.getKeys().deleteByPattern(keys.namespace() + ":*");
        client.shutdown();
    }

    private Object raw(String key, Object... args) {
        return RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(key), args);
    }

    private List<Object> rawList(String key, Object... args) {
        return RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.LIST, List.of(key), args);
    }

    @SuppressWarnings("unchecked")
    private List<String> ids() {
        List<Object> entries = rawList(keys.ops(0), "XRANGE", keys.ops(0), "-", "+");
        return entries.stream().map(e -> (String) ((List<Object>) e).get(0)).toList();
    }

    @Test
    void entriesAcknowledgedOutsideTallyButNotApplied_areNotTrimmed() {
        housekeeping.run(Set.of(0), List.of(ME), lost::add);

        assertThat(ids()).containsExactly("1-0", "2-0", "3-0");
        assertThat(lost).isEmpty();
    }

    @Test
    void entriesAtOrBelowTheCheckpoint_areTrimmed_theOthersStay() {
        raw(keys.checkpoint(0), "HSET", keys.checkpoint(0), "ops", "1-0");

        housekeeping.run(Set.of(0), List.of(ME), lost::add);

        assertThat(ids()).containsExactly("2-0", "3-0");
    }

    @Test
    void aCheckpointPastEveryEntry_trimsUpToWhatTheGroupsAcknowledged() {
        raw(keys.checkpoint(0), "HSET", keys.checkpoint(0), "ops", "3-0");

        housekeeping.run(Set.of(0), List.of(ME), lost::add);

        assertThat(ids()).isEmpty();
    }
}
