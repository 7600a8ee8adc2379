package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Entries that break wire format v1, written straight into the stream as another program would:
 * each becomes a dead letter with a reason naming the field, the entries around it are applied, and
 * the worker keeps going.
 */
@ExtendWith(RealRedisExtension.class)
class PoisonEntriesTest {
    private static final int P = 4;
    private RedissonClient client;
    private Processor processor;
    private Keys keys;
    private PipelineInspector inspector;
    private final Partitioner partitioner = new Partitioner(P);

    @BeforeEach
    void start(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        client = redis.client();
        keys = TestRedis.keys(config);
        inspector = new PipelineInspector(client, config.namespace(), P);
        processor = Processor.start(config, ProcessorListener.NOOP);
    }

    @AfterEach
    void stop() {
        processor.close();
        client.shutdown();
    }

    @Test
    void poisonEntriesAreDeadLetteredWithTheFieldNamedAndTheRestApplied() {
        String c = "orders";
        int p = partitioner.partitionOf(c);
        add(p, "op", "incr", "counter", c, "by", "5");
        add(p, "counter", c, "by", "1");                                   // missing op
        add(p, "op", "multiply", "counter", c, "by", "2");                 // unknown op
        add(p, "op", "incr", "counter", c, "by", "ten");                   // by not a number
        add(p, "op", "incr", "counter", "", "by", "1");                    // empty counter name
        add(p, "op", "incr", "counter", "x".repeat(10_240), "by", "1");    // 10 KB name
        add(p, "op", "set", "counter", c, "value", "9223372036854775800");
        add(p, "op", "incr", "counter", c, "by", "100");                   // overflow
        add(p, "op", "decr", "counter", c, "by", "9223372036854775800");
        add(p, "op", "incr", "counter", c, "by", "3");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
        assertThat(inspector.counter(c, p)).isEqualTo(3);
        assertThat(inspector.pending()).isZero();

        List<Map<String, String>> dead = inspector.deadLetters(p);
        assertThat(dead).extracting(d -> d.get("reason")).containsExactly(
                "missing_field", "unknown_op", "bad_number", "empty_field", "too_long", "overflow");
        assertThat(dead.get(0).get("error")).contains("'op'");
        assertThat(dead.get(1).get("error")).contains("'op'").contains("multiply");
        assertThat(dead.get(2).get("error")).contains("'by'").contains("ten");
        assertThat(dead.get(3).get("error")).contains("'counter'");
        assertThat(dead.get(4).get("error")).contains("'counter'").contains("10240 bytes");
        assertThat(dead.get(5).get("error")).contains("overflow");
        assertThat(dead).allSatisfy(d -> {
            assertThat(d.get("source")).isEqualTo("ops");
            assertThat(d.get("source_id")).matches("\\d+-\\d+");
        });
        assertThat(dead.get(1)).containsEntry("f.op", "multiply").containsEntry("f.counter", c);
    }

    @Test
    void anEntryOnTheWrongPartitionIsADeadLetter() {
        String c = "visits";
        int home = partitioner.partitionOf(c);
        int other = (home + 1) % P;
        add(other, "op", "incr", "counter", c);
        add(home, "op", "incr", "counter", c);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(inspector.counter(c, home)).isEqualTo(1));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(inspector.deadLetters(other)).extracting(d -> d.get("reason")).containsExactly("wrong_partition"));
        assertThat(inspector.counter(c, other)).isZero();
    }

    @Test
    void anUnknownFormatVersionStopsThePartitionWithoutDeadLetteringIt() {
        String c = "signups";
        int p = partitioner.partitionOf(c);
        add(p, "op", "incr", "counter", c);
        add(p, "v", "2", "op", "incr", "counter", c);
        add(p, "op", "incr", "counter", c);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(inspector.counter(c, p)).isEqualTo(1));
        // The v2 entry (and the one after it, when read in the same batch) stays unapplied and pending
        // until an upgraded processor runs.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(inspector.counter(c, p)).isEqualTo(1));
        assertThat(inspector.deadLetters(p)).isEmpty();
        assertThat(inspector.pending()).isBetween(1L, 2L);
    }

    private void add(int partition, String... kv) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            fields.put(kv[i], kv[i + 1]);
        }
        client.<String, String>getStream(keys.ops(partition), StringCodec.INSTANCE).add(StreamAddArgs.entries(fields));
    }
}
