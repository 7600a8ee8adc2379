package io.tally.processor.internal.halt;

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

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stream id watch checks each owned partition on its own: an input stream another program made a key
 * of another type on one partition does not keep the others' stream_id_exhausted halts from being set
 * and cleared.
 */
@ExtendWith(RealRedisExtension.class)
class StreamIdWatchIsolationTest {
    private static final LuaScript RAW = LuaScript.of("raw_command", "return redis.call(unpack(ARGV))");
    private static final String MAX_ID = "18446744073709551615-18446744073709551615";
    private RedissonClient client;
    private Keys keys;
    private PartitionHalts halts;
    private StreamIdWatch watch;

    @BeforeEach
    void setUp(TestRedis redis) {
        client = redis.client();
        keys = new Keys(TestRedis.uniqueNamespace(), PartitionTags.spread(2));
        halts = new PartitionHalts(client, keys, "me:0001", ProcessorListener.NOOP);
        watch = new StreamIdWatch(client, keys, halts, 0);
        watch.load();
        raw(keys.events(1), "SET", keys.events(1), "not a stream");
    }

    @AfterEach
    void tearDown() {
        client.getKeys().deleteByPattern(keys.namespace() + ":*");
        client.shutdown();
    }

    private void raw(String key, Object... args) {
        RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(key), args);
    }

    @Test
    void aStreamAtTheMaximalId_isReported_whileAnotherPartitionsStreamIsOfAnotherType() {
        raw(keys.ops(0), "XADD", keys.ops(0), MAX_ID, "op", "incr", "counter", "c");

        watch.run(Set.of(0, 1));

        assertThat(halts.current()).containsOnlyKeys(0);
        assertThat(halts.current().get(0).reason()).isEqualTo(PartitionHalts.STREAM_ID_EXHAUSTED);
    }
}
