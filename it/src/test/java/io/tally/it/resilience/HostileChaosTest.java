package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.Tally;
import io.tally.testkit.TestRedis;
import io.tally.testkit.chaos.ChaosClient;
import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.HostileChaos;
import io.tally.testkit.chaos.ValidTraffic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI-sized hostile chaos run (the bench's {@code hostile} scenario at a small scale): 20 s of valid
 * traffic with every send carrying an id, every hostile entry of issue 16 written raw into the
 * partition streams, one processor SIGKILLed, one SIGSTOPped past its lease, Redis (AOF
 * {@code appendfsync always}) restarted, and an entry with an id ten years ahead at the end. Every
 * counter, 1m bucket, firing and dead letter must come out exactly as the model says.
 */
@Tag("slow")
class HostileChaosTest {
    private static final int P = 4;

    @Test
    void hostileEntriesAmidKillsStopsAndARedisRestart_everyCounterBucketFiringAndDeadLetterExact() {
        ChaosRun.Settings settings = new ChaosRun.Settings(null, TestRedis.uniqueNamespace(), P, 20_000,
                List.of(Fault.KILL, Fault.STOP, Fault.RESTART_REDIS), 3000,
                new ValidTraffic.Plan(20, 6, 2, 3, 300, 16), true, 20_000);
        HostileChaos.Processors processors = new HostileChaos.Processors(2, List.of("--lease-ttl-ms", "2000"), null);

        ChaosRun.Report report = HostileChaos.run(settings, processors, ProducerClient::open, new Random(16),
                line -> System.out.println("[hostile] " + line));

        System.out.println("[hostile] " + report);
        assertThat(report.kills() + report.stops() + report.redisRestarts()).isEqualTo(3);
        assertThat(report.mismatches()).as("mismatches of the hostile chaos run").isEmpty();
    }

    /** The chaos run's view of the producer library and its trigger client. */
    record ProducerClient(Tally tally) implements ChaosClient {
        static ProducerClient open(String redisUrl, String namespace, int partitions) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisUrl)
                    .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, partitions)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            return new ProducerClient(Tally.connect(config));
        }

        @Override
        public CompletableFuture<String> send(CounterOp op) {
            return tally.producer().send(op).thenApply(SendResult::entryId);
        }

        @Override
        public CompletableFuture<String> emit(Event event) {
            return tally.producer().emit(event).thenApply(SendResult::entryId);
        }

        @Override
        public String createTrigger(TriggerDefinition definition) {
            return tally.triggers().create(definition).id();
        }

        @Override
        public boolean retriable(Throwable cause) {
            return cause instanceof OutcomeUnknownException || (cause instanceof TallyException t && t.retriable());
        }

        @Override
        public void close() {
            tally.close();
        }
    }
}
