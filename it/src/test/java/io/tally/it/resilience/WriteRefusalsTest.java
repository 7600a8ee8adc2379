package io.tally.it.resilience;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.it.resilience.RedisRestartTest.AdminClient;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.PersistenceFailure;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis refusing writes for a reason of its own while a processor and a producer run: a failed save to
 * disk (MISCONF, which refuses PING too) or fewer replicas than {@code min-replicas-to-write}
 * (NOREPLICAS). Nothing is dead-lettered for it, and once Redis takes writes again both go on by
 * themselves with every counter exact.
 */
class WriteRefusalsTest {
    private static final int P = 4;

    @Test
    void fewerReplicasThanMinReplicasToWrite() {
        run(redis -> assertThat(redis.cli("CONFIG", "SET", "min-replicas-to-write", "1")).isEqualTo("OK"),
                redis -> assertThat(redis.cli("CONFIG", "SET", "min-replicas-to-write", "0")).isEqualTo("OK"),
                "refuses writes: fewer replicas than its min-replicas-to-write are in sync (NOREPLICAS)");
    }

    @Test
    void outOfMemory() {
        run(redis -> assertThat(redis.cli("CONFIG", "SET", "maxmemory", "1")).isEqualTo("OK"),
                redis -> assertThat(redis.cli("CONFIG", "SET", "maxmemory", "0")).isEqualTo("OK"),
                "is out of memory and refuses writes (OOM, maxmemory reached)");
    }

    @Test
    void aFailedSaveToDisk() {
        run(PersistenceFailure::induce, PersistenceFailure::lift,
                "refuses writes, and PING, because its last save to disk failed (MISCONF)");
    }

    private static void run(Consumer<RedisServer> refuseWrites, Consumer<RedisServer> takeWrites, String why) {
        RedisServer.requireAvailable();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger tallyLog = (Logger) LoggerFactory.getLogger("io.tally");
        tallyLog.addAppender(logs);
        try (RedisServer server = RedisServer.start("--enable-protected-configs", "yes")) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P)
                    .set(TallyConfig.SEND_TIMEOUT_MS, 2000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
            try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
                 TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
                 AckedWorkload load = new AckedWorkload(producer, "w", 20, true, 300)) {
                Keys keys = TestRedis.keys(config); // the processor created the namespace
                await().atMost(Duration.ofSeconds(10)).until(processor::ready);
                Pause.ms(500);
                long ackedBefore = load.acked();

                refuseWrites.accept(server);
                // XREADGROUP writes (the pending list): the processor cannot read either
                await().atMost(Duration.ofSeconds(10)).until(() -> !processor.ready());
                long ackedDuring = load.acked();
                Pause.ms(1500);
                assertThat(load.acked()).as("sends acknowledged while Redis refused writes").isEqualTo(ackedDuring);
                assertThat(ackedBefore).as("sends acknowledged before").isPositive();
                assertThat(processor.ready()).isFalse();
                // the processor's log names what Redis refused, without Redisson's channel and command dump in any line
                List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                        .map(ILoggingEvent::getFormattedMessage).toList();
                assertThat(warnings).anySatisfy(w -> assertThat(w).contains(why));
                assertThat(warnings).noneSatisfy(w -> assertThat(w).containsAnyOf("channel:", "CommandData", "script: "));

                takeWrites.accept(server);
                // refused before anything was written: each failed send says so, retriable, naming Redis's reason
                assertThat(load.failures()).as("sends refused").isPositive();
                assertThat(load.nonRetriableFailures()).as(load.firstNonRetriableFailure()).isZero();
                load.stopAndDrain(60);
                assertThat(load.acked()).isEqualTo(load.sent());
                try (AdminClient admin = new AdminClient(server)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, P) == 0);
                    assertThat(Counters.read(admin.redis, keys, P)).isEqualTo(load.model());
                    for (int p = 0; p < P; p++) {
                        assertThat(admin.redis.getStream(keys.dlq(p)).size()).as("dead letters of partition " + p).isZero();
                    }
                }
                await().atMost(Duration.ofSeconds(10)).until(processor::ready);
                assertThat(processor.haltedPartitions()).isEmpty();
            }
        } finally {
            tallyLog.detachAppender(logs);
        }
    }
}
