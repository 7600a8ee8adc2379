package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.ProcessorFleet;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import io.tally.testkit.chaos.ChaosClient;
import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.RawRedis;
import io.tally.testkit.chaos.ValidTraffic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        Random random = new Random(16);
        try (RedisServer server = RedisServer.start("--appendonly", "yes", "--appendfsync", "always")) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            try (ProcessorFleet fleet = new ProcessorFleet("hostile", server.url(), config.namespace(),
                    List.of("--partitions", Integer.toString(P), "--lease-ttl-ms", "2000")).start(2)) {
                awaitOwned(server.url(), new Keys(config.namespace()));
                try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
                     TriggerClient triggers = RedisTriggerClient.create(config)) {
                    ChaosRun.Faults faults = new ChaosRun.Faults() {
                        @Override
                        public void killOne() {
                            fleet.killOneAndReplace(random);
                        }

                        @Override
                        public void stopOne(long ms) {
                            fleet.pauseOne(ms, random);
                        }

                        @Override
                        public boolean restartRedis() {
                            server.kill();
                            server.restart();
                            return true;
                        }
                    };
                    ChaosRun.Settings settings = new ChaosRun.Settings(server.url(), config.namespace(), P, 20_000,
                            List.of(Fault.KILL, Fault.STOP, Fault.RESTART_REDIS), 3000,
                            new ValidTraffic.Plan(20, 6, 2, 3, 300, 16), true, 20_000);
                    ChaosRun.Report report = new ChaosRun(settings, new ProducerClient(producer, triggers), faults,
                            line -> System.out.println("[hostile] " + line)).run();
                    System.out.println("[hostile] " + report);
                    assertThat(report.kills() + report.stops() + report.redisRestarts()).isEqualTo(3);
                    assertThat(report.mismatches()).as("mismatches of the hostile chaos run").isEmpty();
                }
            }
        }
    }

    private static void awaitOwned(String url, Keys keys) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try (RawRedis redis = new RawRedis(url)) {
                for (int p = 0; p < P; p++) {
                    if (redis.call("GET", keys.lease(p)) == null) {
                        return false;
                    }
                }
                return true;
            }
        });
    }

    /** The chaos run's view of the producer library and its trigger client. */
    record ProducerClient(TallyProducer producer, TriggerClient triggers) implements ChaosClient {
        @Override
        public CompletableFuture<String> send(CounterOp op) {
            return producer.send(op).thenApply(SendResult::entryId);
        }

        @Override
        public CompletableFuture<String> emit(Event event) {
            return producer.emit(event).thenApply(SendResult::entryId);
        }

        @Override
        public String createTrigger(TriggerDefinition definition) {
            return triggers.create(definition).id();
        }

        @Override
        public Failure classify(Throwable error) {
            Throwable e = error;
            while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
                e = e.getCause();
            }
            if (e instanceof OutcomeUnknownException || (e instanceof TallyException t && t.retriable())) {
                return Failure.RETRY;
            }
            String text = (e.getClass().getSimpleName() + " " + e.getMessage()).toLowerCase(Locale.ROOT);
            return text.contains("conflict") ? Failure.CONFLICT : Failure.REFUSED;
        }
    }
}
