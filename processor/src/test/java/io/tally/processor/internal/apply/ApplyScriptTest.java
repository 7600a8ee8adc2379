package io.tally.processor.internal.apply;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The apply script's rules, driven directly: the fence, the checkpoint skip and the gap check, plus
 * a zombie's read-ahead that a new owner must recover.
 */
@ExtendWith(RealRedisExtension.class)
class ApplyScriptTest {
    private static final int P = 2;
    private RedissonClient client;
    private TallyConfig config;
    private Keys keys;
    private int p;

    @BeforeEach
    void open(TestRedis redis) {
        config = redis.config(P).build();
        client = redis.client();
        keys = Namespace.create(client, config).keys();
        p = new Partitioner(P).partitionOf("c");
        ApplyScripts.APPLY.load(client);
    }

    @AfterEach
    void close() {
        client.shutdown();
    }

    @Test
    void aStaleLeaseReadsNothingAndWritesNothing() {
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set("new-owner:1");
        add("incr", "5");
        List<Object> reply = apply("old-owner:1", ">");
        assertThat(reply).containsExactly("LEASE_LOST");
        assertThat(client.getMap(keys.counters(p), StringCodec.INSTANCE).isExists()).isFalse();
        assertThat(client.getStream(keys.ops(p), StringCodec.INSTANCE).getPendingInfo(Keys.GROUP).getTotal()).isZero();
    }

    @Test
    void entriesAtOrBelowTheCheckpointAreAcknowledgedButNotAppliedAgain() {
        String lease = "me:1";
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(lease);
        add("incr", "5");
        // The entry is pending with us and the checkpoint says it was applied (as after a lost ack).
        String id = client.<String, String>getStream(keys.ops(p), StringCodec.INSTANCE)
                .readGroup(Keys.GROUP, lease, StreamReadGroupArgs.neverDelivered().count(1)).keySet().iterator().next().toString();
        client.<String, String>getMap(keys.checkpoint(p), StringCodec.INSTANCE).put("ops", id);
        client.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).put("c", "5");

        List<Object> reply = apply(lease, "0-0");
        // state, read, applied, redelivered
        assertThat(reply.subList(1, 5)).containsExactly("OK", "1", "0", "1");
        assertThat(counter()).isEqualTo("5");
        assertThat(client.getStream(keys.ops(p), StringCodec.INSTANCE).getPendingInfo(Keys.GROUP).getTotal()).isZero();
    }

    @Test
    void aBatchThatDoesNotFollowTheCheckpointIsAGapAndWritesNothing() {
        String lease = "me:1";
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(lease);
        add("incr", "1");
        add("incr", "2");
        // A zombie read the first entry and never applied it.
        client.getStream(keys.ops(p), StringCodec.INSTANCE)
                .readGroup(Keys.GROUP, "zombie:1", StreamReadGroupArgs.neverDelivered().count(1));
        List<Object> reply = apply(lease, ">");
        assertThat(reply.get(1)).isEqualTo("GAP");
        assertThat(client.getMap(keys.counters(p), StringCodec.INSTANCE).isExists()).isFalse();
        assertThat(client.getMap(keys.checkpoint(p), StringCodec.INSTANCE).isExists()).isFalse();
    }

    @Test
    void aNewOwnerRecoversAZombiesReadAheadInOrder() {
        add("set", "10");
        add("incr", "1");
        client.getStream(keys.ops(p), StringCodec.INSTANCE)
                .readGroup(Keys.GROUP, "zombie:1", StreamReadGroupArgs.neverDelivered().count(1));
        add("incr", "2");
        try (Processor processor = RedisProcessor.start(client, config, ProcessorListener.NOOP)) {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(inspector.checkpointMismatches()).isEmpty();
                assertThat(counter()).isEqualTo("13");
            });
            assertThat(inspector.pending()).isZero();
        }
    }

    private void add(String op, String amount) {
        client.<String, String>getStream(keys.ops(p), StringCodec.INSTANCE).add(op.equals("set")
                ? StreamAddArgs.entries("op", op, "counter", "c", "value", amount)
                : StreamAddArgs.entries("op", op, "counter", "c", "by", amount));
    }

    private List<Object> apply(String lease, String opsCursor) {
        return ApplyScripts.APPLY.eval(client, RScript.ReturnType.LIST,
                ApplyScripts.applyKeys(keys, p),
                lease, lease, p, P, 100, opsCursor, "");
    }

    private String counter() {
        return client.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).get("c");
    }
}
