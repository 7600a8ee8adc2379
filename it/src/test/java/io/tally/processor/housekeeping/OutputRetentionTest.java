package io.tally.processor.housekeeping;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.processor.internal.housekeeping.Housekeeping;
import io.tally.processor.internal.housekeeping.Retention;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamCreateGroupArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamReadGroupArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retention of a partition's output through {@link Housekeeping}, against real Redis: firings by age
 * but never past what a consumer group has not acknowledged, dead letters by age, finished triggers
 * deleted with all their state, and nothing at all without the lease; input streams never by age.
 */
@ExtendWith(RealRedisExtension.class)
class OutputRetentionTest {
    private static final int P = 2;
    private static final String LEASE = "me:1";
    private static final long MINUTE = 60_000;
    private final List<String> leaseLost = new ArrayList<>();
    private RedissonClient client;
    private TallyConfig config;
    private Keys keys;

    @BeforeEach
    void open(TestRedis redis) {
        config = redis.config(P).build();
        client = redis.client();
        keys = Namespace.create(client, config).keys();
    }

    @AfterEach
    void close() {
        client.shutdown();
    }

    @Test
    void firingsOlderThanTheRetentionAreTrimmed_newerOnesKept() {
        holdLease(0, LEASE);
        long now = redisTimeMs();
        List<String> ids = add(keys.firings(0), now - 5 * MINUTE, now - 4 * MINUTE, now - 2 * MINUTE);
        String fresh = addNow(keys.firings(0));

        housekeeping(LEASE, new Retention(3 * MINUTE, 0, 0)).run(List.of(0), List.of(), p -> leaseLost.add("" + p));

        assertThat(entryIds(keys.firings(0))).containsExactly(ids.get(2), fresh);
        assertThat(leaseLost).isEmpty();
    }

    @Test
    void firingsAConsumerGroupHasNotAcknowledged_areKeptHoweverOld() {
        holdLease(0, LEASE);
        long now = redisTimeMs();
        List<String> ids = add(keys.firings(0), now - 5 * MINUTE, now - 4 * MINUTE, now - 3 * MINUTE, now - 2 * MINUTE);
        RStream<String, String> firings = client.getStream(keys.firings(0), StringCodec.INSTANCE);
        firings.createGroup(StreamCreateGroupArgs.name("billing").id(new StreamMessageId(0, 0)));
        Retention oneMinute = new Retention(MINUTE, 0, 0);

        // Delivered but not acknowledged: the oldest pending firing is the floor.
        firings.readGroup("billing", "b1", StreamReadGroupArgs.neverDelivered().count(1));
        run(oneMinute);
        assertThat(entryIds(keys.firings(0))).containsExactlyElementsOf(ids);

        // Acknowledged, but the later ones were never delivered: only the acknowledged one goes.
        firings.ack("billing", sid(ids.get(0)));
        run(oneMinute);
        assertThat(entryIds(keys.firings(0))).containsExactlyElementsOf(ids.subList(1, 4));

        // Two delivered, the second still pending.
        firings.readGroup("billing", "b1", StreamReadGroupArgs.neverDelivered().count(2));
        firings.ack("billing", sid(ids.get(1)));
        run(oneMinute);
        assertThat(entryIds(keys.firings(0))).containsExactlyElementsOf(ids.subList(2, 4));

        // All delivered and acknowledged: age alone decides.
        firings.readGroup("billing", "b1", StreamReadGroupArgs.neverDelivered().count(10));
        firings.ack("billing", sid(ids.get(2)), sid(ids.get(3)));
        run(oneMinute);
        assertThat(entryIds(keys.firings(0))).isEmpty();
    }

    @Test
    void deadLettersOfBothDlqStreamsAreTrimmedByAge() {
        holdLease(1, LEASE);
        long now = redisTimeMs();
        List<String> dlq = add(keys.dlq(1), now - 3 * MINUTE, now - MINUTE / 2);
        List<String> firingsDlq = add(keys.firingsDlq(1), now - 3 * MINUTE, now - 2 * MINUTE, now - MINUTE / 2);

        housekeeping(LEASE, new Retention(0, MINUTE, 0)).run(List.of(1), List.of(), p -> leaseLost.add("" + p));

        assertThat(entryIds(keys.dlq(1))).containsExactly(dlq.get(1));
        assertThat(entryIds(keys.firingsDlq(1))).containsExactly(firingsDlq.get(2));
    }

    @Test
    void withoutTheLease_nothingIsTrimmedAndTheLossIsReported() {
        holdLease(0, "other:9");
        long now = redisTimeMs();
        List<String> ids = add(keys.firings(0), now - 5 * MINUTE);
        List<String> dlq = add(keys.dlq(0), now - 5 * MINUTE);

        housekeeping(LEASE, new Retention(MINUTE, MINUTE, MINUTE)).run(List.of(0), List.of(), p -> leaseLost.add("" + p));

        assertThat(entryIds(keys.firings(0))).containsExactlyElementsOf(ids);
        assertThat(entryIds(keys.dlq(0))).containsExactlyElementsOf(dlq);
        assertThat(leaseLost).contains("0");
    }

    @Test
    void inputEntriesGoOnceAcknowledged_whateverTheirAge_whileFiringsKeepTheirRetention() {
        holdLease(0, LEASE);
        long now = redisTimeMs();
        add(keys.ops(0), now - 5 * MINUTE);
        String freshOp = addNow(keys.ops(0));
        String unread = addNow(keys.ops(0));
        String freshFiring = addNow(keys.firings(0));
        RStream<String, String> ops = client.getStream(keys.ops(0), StringCodec.INSTANCE);
        Map<StreamMessageId, Map<String, String>> read = ops.readGroup(Keys.GROUP, "c1",
                StreamReadGroupArgs.neverDelivered().count(2));
        ops.ack(Keys.GROUP, read.keySet().toArray(StreamMessageId[]::new));
        // as apply.lua does with its XACK: input retention never trims past the checkpoint
        client.getMap(keys.checkpoint(0), StringCodec.INSTANCE).put("ops", freshOp);

        run(new Retention(MINUTE, MINUTE, MINUTE)); // one script trims both; only the firings take an age

        assertThat(read.keySet().stream().map(StreamMessageId::toString)).contains(freshOp);
        assertThat(entryIds(keys.ops(0))).containsExactly(unread);
        assertThat(entryIds(keys.firings(0))).containsExactly(freshFiring);
    }

    @Test
    void retentionZero_keepsEverythingForever() {
        holdLease(0, LEASE);
        long now = redisTimeMs();
        List<String> ids = add(keys.firings(0), now - 365L * 24 * 60 * MINUTE);
        housekeeping(LEASE, Retention.FOREVER).run(List.of(0), List.of(), p -> leaseLost.add("" + p));
        assertThat(entryIds(keys.firings(0))).containsExactlyElementsOf(ids);
    }

    @Test
    void finishedTriggersOlderThanTheRetention_areDeletedWithAllTheirState() throws Exception {
        TallyConfig fast = config.toBuilder().set(TallyConfig.TICK_MS, 100).build();
        try (TriggerClient triggers = RedisTriggerClient.create(client, fast, InstantSource.system());
             TallyProducer producer = RedisTallyProducer.create(client, false, fast, ProducerMetrics.NOOP);
             Processor processor = RedisProcessor.start(client, fast, ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P);
            Trigger fired = triggers.create(TriggerDefinition.event("click").build());
            Trigger active = triggers.create(TriggerDefinition.event("click").mode(TriggerMode.EVERY).build());
            Trigger canceledEvent = triggers.create(TriggerDefinition.event("view").build());
            Trigger canceledTime = triggers.create(TriggerDefinition.time(redisTimeMs() + 10 * MINUTE).build());
            Trigger canceledThreshold = triggers.create(TriggerDefinition.threshold("c", io.tally.common.trigger.ThresholdOp.GTE, 5).build());
            producer.emit(Event.of("click", Map.of())).get();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    triggers.get(fired.id()).orElseThrow().status() == TriggerStatus.FIRED);
            for (Trigger t : List.of(canceledEvent, canceledTime, canceledThreshold)) {
                triggers.cancel(t.id());
            }
            Set<String> finished = Set.of(fired.id(), canceledEvent.id(), canceledTime.id(), canceledThreshold.id());
            List<Integer> all = List.of(0, 1);

            // Finished just now: a retention of ten minutes keeps them.
            housekeeping(processor.instanceId(), new Retention(0, 0, 10 * MINUTE)).run(all, List.of(), p -> leaseLost.add("" + p));
            for (String id : finished) {
                assertThat(triggers.get(id)).as(id).isPresent();
            }

            Thread.sleep(1200);
            housekeeping(processor.instanceId(), new Retention(0, 0, 1000)).run(all, List.of(), p -> leaseLost.add("" + p));

            for (String id : finished) {
                assertThat(triggers.get(id)).as(id).isEmpty();
                assertThat(fieldsOf(id)).as("fields of %s", id).isEmpty();
            }
            assertThat(triggers.get(active.id()).orElseThrow().status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(fieldsOf(active.id())).contains(active.id(), active.id() + ":status", active.id() + ":fireCount");
            for (int p : all) {
                assertThat(client.getScoredSortedSet(keys.schedule(p), StringCodec.INSTANCE).readAll()).isEmpty();
                assertThat(client.<String, String>getMap(keys.triggersByCounter(p), StringCodec.INSTANCE).readAllMap()).isEmpty();
            }
            Map<String, String> byEvent = new HashMap<>();
            for (int p : all) {
                byEvent.putAll(client.<String, String>getMap(keys.triggersByEvent(p), StringCodec.INSTANCE).readAllMap());
            }
            assertThat(byEvent).containsExactly(Map.entry("click", active.id()));
            assertThat(leaseLost).isEmpty();

            // The active trigger still fires: nothing it needs was removed.
            producer.emit(Event.of("click", Map.of())).get();
            await().atMost(Duration.ofSeconds(10)).until(() -> triggers.get(active.id()).orElseThrow().fireCount() == 2);
        }
    }

    @Test
    void aFinishedTriggerLeftInAnIndex_isRemovedFromItToo() throws Exception {
        holdLease(0, LEASE);
        long now = redisTimeMs();
        String id = "t0-01JTESTTESTTESTTESTTESTTES";
        client.<String, String>getMap(keys.triggers(0), StringCodec.INSTANCE).putAll(Map.of(
                id, "{\"kind\":\"event\",\"mode\":\"once\",\"eventType\":\"click\"}",
                id + ":status", "fired", id + ":fireCount", "1",
                id + ":lastFiredAt", Long.toString(now - 5 * MINUTE), id + ":createdAt", Long.toString(now - 6 * MINUTE)));
        client.<String, String>getMap(keys.triggersByEvent(0), StringCodec.INSTANCE).put("click", "t0-other " + id);

        housekeeping(LEASE, new Retention(0, 0, MINUTE)).run(List.of(0), List.of(), p -> leaseLost.add("" + p));

        assertThat(fieldsOf(id)).isEmpty();
        assertThat(client.<String, String>getMap(keys.triggersByEvent(0), StringCodec.INSTANCE).get("click")).isEqualTo("t0-other");
    }

    private void run(Retention retention) {
        housekeeping(LEASE, retention).run(List.of(0), List.of(), p -> leaseLost.add("" + p));
    }

    private Housekeeping housekeeping(String leaseValue, Retention retention) {
        Housekeeping h = new Housekeeping(client, keys, leaseValue, 0, MINUTE, retention, ProcessorListener.NOOP);
        h.load();
        return h;
    }

    private void holdLease(int p, String value) {
        client.getBucket(keys.lease(p), StringCodec.INSTANCE).set(value);
    }

    /** Appends one entry per given time (entry id {@code <ms>-0}); returns their ids. */
    private List<String> add(String stream, long... millis) {
        List<String> ids = new ArrayList<>();
        RStream<String, String> s = client.getStream(stream, StringCodec.INSTANCE);
        for (long ms : millis) {
            StreamMessageId id = new StreamMessageId(ms, 0);
            s.add(id, StreamAddArgs.entry("trigger", "t"));
            ids.add(id.toString());
        }
        return ids;
    }

    private static StreamMessageId sid(String id) {
        int dash = id.indexOf('-');
        return new StreamMessageId(Long.parseLong(id.substring(0, dash)), Long.parseLong(id.substring(dash + 1)));
    }

    private String addNow(String stream) {
        return client.<String, String>getStream(stream, StringCodec.INSTANCE)
                .add(StreamAddArgs.entry("trigger", "t")).toString();
    }

    private List<String> entryIds(String stream) {
        return client.<String, String>getStream(stream, StringCodec.INSTANCE)
                .range(StreamMessageId.MIN, StreamMessageId.MAX).keySet().stream()
                .sorted(java.util.Comparator.comparingLong(StreamMessageId::getId0).thenComparingLong(StreamMessageId::getId1))
                .map(StreamMessageId::toString).toList();
    }

    /** Every field of the partition's triggers hash that belongs to the trigger. */
    private Set<String> fieldsOf(String id) {
        Set<String> out = new TreeSet<>();
        for (int p = 0; p < P; p++) {
            for (String f : client.<String, String>getMap(keys.triggers(p), StringCodec.INSTANCE).readAllKeySet()) {
                if (f.equals(id) || f.startsWith(id + ":")) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private long redisTimeMs() {
        org.redisson.client.protocol.Time t = client.getRedisNodes(RedisNodes.SINGLE).getInstance().time();
        return t.getSeconds() * 1000L + t.getMicroseconds() / 1000;
    }
}
