package io.tally.producer.dlq;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.producer.internal.admin.RedisDeadLetters;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.read.Topic;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Dead letters written in the apply script's format, then listed, replayed and purged. */
@ExtendWith(RealRedisExtension.class)
class DeadLettersTest {
    private static final LuaScript RAW = LuaScript.of("raw_command", "return redis.call(unpack(ARGV))");
    private RedissonClient redis;
    private Keys keys;
    private DeadLetters dlq;

    @BeforeEach
    void open(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(2).build();
        RedisTallyReader reader = RedisTallyReader.open(redis, config);
        keys = reader.keys();
        dlq = new RedisDeadLetters(redis, keys, 2);
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Test
    void list_filtersByReasonPartitionAndSource() {
        dead(0, "bad_number", "ops", Map.of("op", "incr", "counter", "a", "by", "x"));
        dead(1, "unknown_op", "ops", Map.of("op", "bogus", "counter", "b"));
        dead(1, "missing_field", "events", Map.of("p.k", "v"));
        assertThat(dlq.list(DeadLetterFilter.ALL, 100)).hasSize(3);
        assertThat(dlq.list(new DeadLetterFilter("unknown_op", null, null), 100)).singleElement()
                .satisfies(d -> {
                    assertThat(d.partition()).isEqualTo(1);
                    assertThat(d.original()).containsEntry("op", "bogus").containsEntry("counter", "b");
                });
        assertThat(dlq.list(new DeadLetterFilter(null, 1, Topic.EVENTS), 100)).singleElement()
                .satisfies(d -> assertThat(d.reason()).isEqualTo("missing_field"));
        assertThat(dlq.list(DeadLetterFilter.ALL, 2)).hasSize(2);
    }

    @Test
    void replay_reappendsOriginalFieldsToTheSourceStream_andDeletesTheDeadLetter() {
        dead(1, "unknown_op", "ops", Map.of("op", "bogus", "counter", "b"));
        dead(1, "missing_field", "events", Map.of("p.k", "v"));
        List<DeadLetters.Replayed> replayed = dlq.replay(new DeadLetterFilter(null, null, Topic.OPS), 100);
        assertThat(replayed).hasSize(1);
        Map<StreamMessageId, Map<String, String>> ops = redis.<String, String>getStream(keys.ops(1), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX));
        assertThat(ops).hasSize(1);
        assertThat(ops.keySet().iterator().next().toString()).isEqualTo(replayed.get(0).newId());
        assertThat(ops.values().iterator().next()).isEqualTo(Map.of("op", "bogus", "counter", "b"));
        assertThat(dlq.list(DeadLetterFilter.ALL, 100)).singleElement()
                .satisfies(d -> assertThat(d.source()).isEqualTo("events"));
        assertThat(dlq.replay(new DeadLetterFilter(null, null, Topic.OPS), 100)).isEmpty();
    }

    @Test
    void purge_deletesOnlyMatchingLetters() {
        dead(0, "bad_number", "ops", Map.of("op", "incr", "counter", "a", "by", "x"));
        dead(0, "too_long", "ops", Map.of("op", "incr", "counter", "a"));
        assertThat(dlq.purge(new DeadLetterFilter("bad_number", null, null), 100)).isEqualTo(1);
        assertThat(dlq.list(DeadLetterFilter.ALL, 100)).singleElement()
                .satisfies(d -> assertThat(d.reason()).isEqualTo("too_long"));
        assertThat(dlq.count(0)).isEqualTo(1);
    }

    @Test
    void aFullPageEndingAtTheLargestId_endsTheListing_andEveryLetterIsListedAndPurged() {
        String stream = keys.dlq(0);
        for (int i = 1; i < 500; i++) {
            RAW.eval(redis, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(stream),
                    "XADD", stream, i + "-0", "reason", "bad_number", "error", "e", "source", "ops", "source_id", "1-0");
        }
        // any program may XADD the largest id there is; the page after it must not ask for "(" + that id
        RAW.eval(redis, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(stream), "XADD", stream,
                "18446744073709551615-18446744073709551615", "reason", "bad_number", "error", "e", "source", "ops",
                "source_id", "1-0");

        assertThat(dlq.list(DeadLetterFilter.ALL, 1000)).hasSize(500)
                .last().satisfies(d -> assertThat(d.id()).isEqualTo("18446744073709551615-18446744073709551615"));
        assertThat(dlq.purge(DeadLetterFilter.ALL, 1000)).isEqualTo(500);
        assertThat(dlq.count(0)).isZero();
    }

    private void dead(int p, String reason, String source, Map<String, String> original) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("reason", reason);
        fields.put("error", "field broken");
        fields.put("source", source);
        fields.put("source_id", "1-0");
        original.forEach((k, v) -> fields.put("f." + k, v));
        redis.<String, String>getStream(keys.dlq(p), StringCodec.INSTANCE).add(StreamAddArgs.entries(fields));
    }
}
