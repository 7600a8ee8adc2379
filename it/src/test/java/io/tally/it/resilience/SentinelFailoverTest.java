package io.tally.it.resilience;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisSentinel;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tally in {@code redis-mode sentinel} against a master, its replica and three sentinels of the test's
 * own: the pipeline applies a workload exactly; across a {@code SENTINEL FAILOVER} every send ends as it
 * says (applied once when acknowledged, absent when failed as not written); across a SIGKILLed master
 * with {@code acks=replicas} nothing acknowledged is lost. The failovers take 15-25 s each (the
 * sentinels turn the old master into a replica 8 s after the switch): tagged slow.
 */
class SentinelFailoverTest {
    private static final int P = 8;
    /**
     * How long a killed master stays down, as a supervisor's restart delay would keep it: back at once, it is
     * an empty replica while the new master may still look down to the sentinels (docs/operations.md).
     */
    private static final long RESTART_DELAY_MS = 3000;
    private RedisSentinel sentinel;
    private RedissonClient admin;

    @BeforeEach
    void startSentinel() {
        RedisServer.requireAvailable();
        sentinel = RedisSentinel.start();
        admin = sentinel.client();
    }

    @AfterEach
    void stopSentinel() {
        if (admin != null) {
            admin.shutdown();
        }
        if (sentinel != null) {
            sentinel.close();
        }
    }

    @Test
    void thePipelineThroughSentinels_appliesAKnownWorkloadExactly() {
        TallyConfig config = sentinel.config(P).build();
        Keys keys = TestRedis.keys(config);
        Map<String, Long> expected = new TreeMap<>();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                String counter = "c" + (i % 40);
                long delta = 1 + i % 7;
                sends.add(producer.send(CounterOp.incr(counter, delta).withId("op" + i)));
                expected.merge(counter, delta, Long::sum);
            }
            sends.forEach(CompletableFuture::join);
            await().atMost(Duration.ofSeconds(30)).until(() -> processor.ready() && Backlog.total(admin, keys, P) == 0);
        }
        assertThat(Counters.read(admin, keys, P)).isEqualTo(expected);
        assertThat(sentinel.master().cli("INFO", "replication")).as("all of it went to the master")
                .contains("role:master");
    }

    @Test
    @Tag("slow")
    void aSentinelFailoverUnderLoad_acksReplicas_appliesEveryAcknowledgedSendOnce_andEveryFailureSaysWhatItLeft() {
        Outcome o = runAcrossSwitch(Acks.REPLICAS, () -> sentinel.failover(30));
        assertThat(o.notApplied()).as("acknowledged sends not applied").isEmpty();
        assertThat(o.doubled()).as("sends applied twice").isEmpty();
        assertThat(o.untruthful()).as("sends failed as not written, yet applied").isEmpty();
    }

    /**
     * The old master takes writes until the clients learn of the promotion: with acks=leader what it
     * acknowledged in that window is lost when it becomes the new master's replica. Never doubled; the
     * loss is printed.
     */
    @Test
    @Tag("slow")
    void aSentinelFailoverUnderLoad_acksLeader_neverDoubles_andReportsWhatTheOldMasterAcknowledgedAndLost() {
        Outcome o = runAcrossSwitch(Acks.LEADER, () -> sentinel.failover(30));
        assertThat(o.doubled()).as("sends applied twice").isEmpty();
        assertThat(o.untruthful()).as("sends failed as not written, yet applied").isEmpty();
        System.out.printf("acks=leader sentinel failover: %d acknowledged sends, %d lost (%.2f%%)%n", o.acked(),
                o.notApplied().size(), 100.0 * o.notApplied().size() / o.acked());
    }

    @Test
    @Tag("slow")
    void theMasterKilledUnderLoad_acksReplicas_losesNoAcknowledgedSend_andAppliesEveryRetriedSendOnce() {
        TallyConfig config = sentinel.config(P).set(TallyConfig.ACKS, Acks.REPLICAS)
                .set(TallyConfig.SEND_TIMEOUT_MS, 5000L).build();
        Keys keys = TestRedis.keys(config);
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> processor.ready() && processor.ownedPartitions().size() == P);
            try (AckedWorkload load = new AckedWorkload(producer, "k", 200, true, 1000)) {
                Pause.ms(2000);
                long killedAt = System.currentTimeMillis();
                RedisServer killed = sentinel.killMaster(30);
                System.out.printf("master %d killed; replica promoted in %d ms%n", killed.port(),
                        System.currentTimeMillis() - killedAt);
                // the killed server comes back after the clients have moved to the new master, as a supervisor's
                // restart delay would have it; the new master needs it as a replica again for acks=replicas
                Pause.ms(RESTART_DELAY_MS);
                sentinel.rejoin(killed);
                Pause.ms(1000);
                load.stopAndDrain(60);
                System.out.printf("acks=replicas kill: sent %d, acked %d, failed attempts %d (non-retriable %d)%n",
                        load.sent(), load.acked(), load.failures(), load.nonRetriableFailures());
                assertThat(load.acked()).isEqualTo(load.sent());
                assertThat(load.nonRetriableFailures()).as("first: %s", load.firstNonRetriableFailure()).isZero();
                await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin, keys, P) == 0);
                assertThat(Counters.read(admin, keys, P)).isEqualTo(load.model());
            }
        }
    }

    /** One counter per operation, no retries: each send's counter tells whether it was applied, and how often. */
    private Outcome runAcrossSwitch(Acks acks, Runnable fault) {
        TallyConfig config = sentinel.config(P).set(TallyConfig.ACKS, acks).set(TallyConfig.SEND_TIMEOUT_MS, 5000L)
                .build();
        Keys keys = TestRedis.keys(config);
        AckedWorkload load;
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> processor.ready() && processor.ownedPartitions().size() == P);
            load = new AckedWorkload(producer, "f", Integer.MAX_VALUE, false, 1000);
            try (load) {
                Pause.ms(2000);
                long switchAt = System.currentTimeMillis();
                fault.run();
                System.out.printf("acks=%s: master switched, old master a replica in sync, in %d ms%n", acks,
                        System.currentTimeMillis() - switchAt);
                Pause.ms(1000);
                load.stopAndDrain(30);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin, keys, P) == 0);
        }
        Map<String, Long> counters = Counters.read(admin, keys, P);
        Map<String, Throwable> failed = load.unacknowledged();
        System.out.printf("acks=%s: sent %d, acked %d, failed %d: %s%n", acks, load.sent(), load.acked(), failed.size(),
                failed.values().stream().map(SentinelFailoverTest::kind).distinct().toList());
        assertThat(load.acked() + failed.size()).as("every send ended").isEqualTo(load.sent());
        List<String> notApplied = new ArrayList<>();
        List<String> doubled = new ArrayList<>();
        List<String> untruthful = new ArrayList<>();
        load.acks().values().forEach(a -> {
            long applied = counters.getOrDefault(a.counter(), 0L);
            (applied == 0 ? notApplied : doubled).addAll(applied == 1 ? List.of() : List.of(a.opId() + "=" + applied));
        });
        failed.forEach((opId, cause) -> {
            long applied = counters.getOrDefault("f" + opId.substring("fop".length()), 0L);
            if (applied > 1) {
                doubled.add(opId + "=" + applied);
            } else if (applied > writtenAtMost(cause)) {
                untruthful.add(opId + ": " + cause);
            }
        });
        return new Outcome(load.acked(), notApplied, doubled, untruthful);
    }

    /** What the counters say of the sends: acknowledged ones not applied, any applied twice, failed-as-not-written ones applied. */
    private record Outcome(long acked, List<String> notApplied, List<String> doubled, List<String> untruthful) {
    }

    /** What a failed send may have left applied: nothing when it says it was not written. */
    private static long writtenAtMost(Throwable cause) {
        return cause instanceof SendFailedException f && !f.maybeWritten() ? 0 : 1;
    }

    private static String kind(Throwable cause) {
        if (cause instanceof SendFailedException f) {
            return "SendFailed(retriable=" + f.retriable() + ", maybeWritten=" + f.maybeWritten() + ")";
        }
        return cause instanceof OutcomeUnknownException ? "OutcomeUnknown" : String.valueOf(cause);
    }
}
