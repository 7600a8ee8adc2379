package io.tally.it.resilience;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.TestRedis;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master is SIGKILLed mid-run; its replica is promoted and the pipeline carries on. No operation
 * is ever applied twice; with acks=replicas no acknowledged operation is lost; with acks=leader the
 * test prints how many acknowledged operations the failover lost.
 */
@Tag("slow")
class ClusterFailoverTest {
    private static final int P = 24;
    private RedisCluster cluster;
    private RedissonClient admin;

    @BeforeEach
    void startCluster() {
        RedisServer.requireAvailable();
        cluster = RedisCluster.start();
        admin = cluster.client();
    }

    @AfterEach
    void stopCluster() {
        if (admin != null) {
            admin.shutdown();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void acksReplicasLosesNoAcknowledgedOperationAcrossAFailover() {
        Result r = runWithFailover(Acks.REPLICAS);
        if (!r.counters.equals(r.model)) {
            System.out.print(r.forensics.get());
        }
        assertThat(r.counters).isEqualTo(r.model);
    }

    @Test
    void acksLeaderNeverDoublesAndReportsWhatTheFailoverLost() {
        Result r = runWithFailover(Acks.LEADER);
        r.model.forEach((counter, acked) ->
                assertThat(r.counters.getOrDefault(counter, 0L)).as(counter).isLessThanOrEqualTo(acked));
        long lost = Counters.total(r.model) - Counters.total(r.counters);
        System.out.printf("acks=leader failover: %d acknowledged ops, %d lost (%.3f%%)%n",
                Counters.total(r.model), lost, 100.0 * lost / Counters.total(r.model));
    }

    private Result runWithFailover(Acks acks) {
        TallyConfig config = cluster.config(P).set(TallyConfig.ACKS, acks).set(TallyConfig.SEND_TIMEOUT_MS, 5000L)
                .set(TallyConfig.LEASE_TTL_MS, 10_000).build();
        Keys keys = TestRedis.keys(config);
        try (Processor a = Processor.start(config, ProcessorListener.NOOP);
             Processor b = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
             AckedWorkload load = new AckedWorkload(producer, "f", 200, true, 1500)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> a.ready() && b.ready()
                    && a.ownedPartitions().size() + b.ownedPartitions().size() == P);
            Pause.ms(3000);
            long before = load.acked();
            int killedPort = cluster.masterOf(cluster.keySlot(keys.ops(0))).port();
            List<Integer> killedPartitions = new ArrayList<>();
            cluster.partitionMasters(keys, P).forEach((p, port) -> {
                if (port == killedPort) {
                    killedPartitions.add(p);
                }
            });
            long killedAt = System.currentTimeMillis();
            RedisServer killed = cluster.killMasterOf(cluster.keySlot(keys.ops(0)), 30);
            long promotedAt = System.currentTimeMillis();
            System.out.printf("acks=%s: master %d killed after %d acked ops; replica promoted in %d ms%n",
                    acks, killed.port(), before, promotedAt - killedAt);
            cluster.rejoin(killed); // the promoted master needs a replica again for acks=replicas
            LossForensics.Failover failover = new LossForensics.Failover(killedPort, killedPartitions, killedAt,
                    promotedAt, System.currentTimeMillis());
            Pause.ms(3000);
            load.stopAndDrain(60);
            System.out.printf("acks=%s: sent %d, acked %d, failed attempts %d (non-retriable %d)%n", acks,
                    load.sent(), load.acked(), load.failures(), load.nonRetriableFailures());
            assertThat(load.acked()).isEqualTo(load.sent());
            assertThat(load.nonRetriableFailures()).as("first: %s", load.firstNonRetriableFailure()).isZero();
            await().atMost(Duration.ofSeconds(60)).until(() -> Backlog.total(admin, keys, P) == 0);
            Map<String, Long> model = load.model();
            Map<String, Long> counters = Counters.read(admin, keys, P);
            Map<String, AckedWorkload.Ack> acked = load.acks();
            return new Result(model, counters,
                    () -> LossForensics.explain(cluster, keys, P, failover, model, counters, acked));
        }
    }

    /** The model, the counters, and (only worth its cost when they differ) where the missing operations went. */
    private record Result(Map<String, Long> model, Map<String, Long> counters, Supplier<String> forensics) {
    }
}
