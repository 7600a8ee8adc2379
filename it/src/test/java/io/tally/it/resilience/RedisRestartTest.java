package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Redis SIGKILLed and restarted mid-run with {@code appendonly yes} and {@code appendfsync always}:
 * no acknowledged operation is lost and counters stay exact. Redis down for a while: the processor
 * reports not ready and resumes by itself; every send completes (acknowledged, or failed with a
 * retriable or outcome-unknown error) within its timeout, none is silently dropped.
 *
 * <p>The outage lasts {@code tally.test.outageSeconds} (default 10 s; the 30 s with
 * {@code -Dtally.test.outageSeconds=30}): past the 5 s ceiling of the processor's backoff and past
 * the producer's send timeout, so a longer outage exercises no other code path.
 */
@Tag("slow")
class RedisRestartTest {
    private static final int P = 8;
    private static final long OUTAGE_MS = Long.getLong("tally.test.outageSeconds", 10) * 1000;
    private RedisServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TallyConfig.Builder config() {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P)
                .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000);
    }

    @Test
    void aofAlwaysRestartLosesNoAcknowledgedOperation() {
        RedisServer.requireAvailable();
        server = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
        TallyConfig config = config().build();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
             AckedWorkload load = new AckedWorkload(producer, "d", 50, true, 1500)) {
            Keys keys = TestRedis.keys(config); // the processor created the namespace
            Pause.ms(2000);
            long ackedBefore = load.acked();
            server.kill();
            Pause.ms(1000);
            server.restart();
            Pause.ms(2000);
            load.stopAndDrain(60);
            System.out.printf("AOF restart: %d acked before the kill, %d sent, %d acked, %d failed attempts%n",
                    ackedBefore, load.sent(), load.acked(), load.failures());
            assertThat(load.acked()).isEqualTo(load.sent());
            try (AdminClient admin = new AdminClient(server)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, P) == 0);
                assertThat(Counters.read(admin.redis, keys, P)).isEqualTo(load.model());
            }
            assertThat(processor.ready()).isTrue();
        }
    }

    @Test
    void redisDownProcessorNotReadyThenResumesAndNoSendIsDropped() throws Exception {
        RedisServer.requireAvailable();
        server = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
        TallyConfig config = config().build();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
             AckedWorkload load = new AckedWorkload(producer, "o", 50, true, 500)) {
            Keys keys = TestRedis.keys(config); // the processor created the namespace
            await().atMost(Duration.ofSeconds(10)).until(processor::ready);
            Pause.ms(1000);
            server.kill();
            long downAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(10)).until(() -> !processor.ready());
            // sends without id while Redis is down: each ends within its timeout, none silently dropped
            OutageProbes probes = OutageProbes.send(producer, "probe", 20, 3000);
            Pause.ms(Math.max(0, OUTAGE_MS - (System.nanoTime() - downAt) / 1_000_000));
            assertThat(processor.ready()).isFalse();
            server.restart();
            long upAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(processor::ready);
            System.out.printf("outage %d ms: processor ready again %d ms after Redis came back; probes ok=%d unknown=%d%n",
                    OUTAGE_MS, (System.nanoTime() - upAt) / 1_000_000, probes.acknowledged(), probes.unknown());
            Pause.ms(1000);
            load.stopAndDrain(60);
            assertThat(load.acked()).isEqualTo(load.sent());
            try (AdminClient admin = new AdminClient(server)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, P) == 0);
                var counters = Counters.read(admin.redis, keys, P);
                long probe = counters.getOrDefault("probe", 0L);
                counters.remove("probe");
                assertThat(counters).isEqualTo(load.model());
                assertThat(probe).isBetween((long) probes.acknowledged(), (long) probes.acknowledged() + probes.unknown());
            }
        }
    }

    /** A plain client for checking values. */
    static final class AdminClient implements AutoCloseable {
        final RedissonClient redis;

        AdminClient(RedisServer server) {
            this.redis = io.tally.common.internal.redis.RedisClientFactory.create(
                    TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build());
        }

        String get(String key) {
            return redis.<String>getBucket(key, StringCodec.INSTANCE).get();
        }

        @Override
        public void close() {
            redis.shutdown();
        }
    }
}
