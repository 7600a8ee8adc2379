package io.tally.app.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.app.runtime.Http;
import io.tally.app.runtime.PrometheusText;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.metrics.MicrometerProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A running processor's {@code /metrics} after real traffic: values, not just names. */
@ExtendWith(RealRedisExtension.class)
class ProcessorMetricsEndpointTest {
    private static final int PARTITIONS = 4;
    private static final int N = 600;

    @Test
    void afterTraffic_appliedEqualsSent_lagReturnsToZero_andDeadLettersAreCounted(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).set(TallyConfig.HTTP_PORT, 0).build();
        PrometheusMeterRegistry producerRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RedissonClient redis = testRedis.client();
        try (ProcessorRuntime runtime = ProcessorRuntime.start(config, 200);
             MicrometerProducerMetrics producerMetrics = new MicrometerProducerMetrics(producerRegistry, config.namespace());
             TallyProducer producer = RedisTallyProducer.create(redis, false, config, producerMetrics)) {
            String base = "http://127.0.0.1:" + runtime.httpPort();
            await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(base + "/health/ready").statusCode() == 200);

            CompletableFuture.allOf(IntStream.range(0, N)
                    .mapToObj(i -> producer.incr("counter-" + (i % 37), 1))
                    .toArray(CompletableFuture[]::new)).join();
            // One entry without its counter field, written past the producer's validation: a dead letter.
            redis.getStream(new Keys(config.namespace()).ops(0), StringCodec.INSTANCE)
                    .add(StreamAddArgs.entries(Map.of("op", "incr")));

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                PrometheusText m = scrape(base);
                assertThat(m.sum("tally_processor_records_applied_total", "topic", "ops")).isEqualTo(N + 1);
                assertThat(m.sum("tally_partition_lag")).isZero();
                assertThat(m.sum("tally_partition_pending")).isZero();
                assertThat(m.sum("tally_partition_length", "topic", "ops")).isEqualTo(N + 1);
                assertThat(m.sum("tally_dlq_entries")).isEqualTo(1);
            });

            PrometheusText m = scrape(base);
            String me = runtime.processor().instanceId();
            assertThat(m.sum("tally_processor_dead_letters_total", "topic", "ops", "reason", "missing_field")).isEqualTo(1);
            assertThat(m.sum("tally_processor_partitions_owned")).isEqualTo(PARTITIONS);
            assertThat(m.find("tally_partition_owned", "owner", me)).hasSize(PARTITIONS);
            assertThat(m.find("tally_partition_owned", "owner", "none")).isEmpty();
            assertThat(m.sum("tally_processor_lease_acquisitions_total")).isEqualTo(PARTITIONS);
            assertThat(m.sum("tally_processor_end_to_end_seconds_count")).isGreaterThanOrEqualTo(N);
            assertThat(m.sum("tally_processor_apply_round_seconds_count")).isPositive();
            assertThat(m.sum("tally_processor_lost_total")).isZero();
            assertThat(m.has("jvm_memory_used_bytes")).isTrue();
            assertThat(m.has("process_uptime_seconds")).isTrue();

            PrometheusText p = new PrometheusText(producerRegistry.scrape());
            assertThat(p.sum("tally_producer_records_sent_total", "topic", "ops", "result", "ok")).isEqualTo(N);
            assertThat(p.sum("tally_producer_send_seconds_count", "topic", "ops")).isEqualTo(N);
            assertThat(p.sum("tally_producer_batch_size_sum")).isEqualTo(N);
            assertThat(p.sum("tally_producer_backpressure_rejections_total")).isZero();
        } finally {
            redis.shutdown();
        }
        assertThat(producerRegistry.getMeters()).as("producer meters removed on close").isEmpty();
    }

    @Test
    void close_releasesLeasesAndRemovesMeters(TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).set(TallyConfig.HTTP_PORT, 0).build();
        ProcessorRuntime runtime = ProcessorRuntime.start(config, 200);
        String ready = "http://127.0.0.1:" + runtime.httpPort() + "/health/ready";
        await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(ready).statusCode() == 200);
        assertThat(Http.get("http://127.0.0.1:" + runtime.httpPort() + "/health/live").statusCode()).isEqualTo(200);

        runtime.close();

        assertThat(runtime.processor().ownedPartitions()).isEmpty();
        assertThat(runtime.registry().find("tally.processor.records.applied").meters()).isEmpty();
        assertThat(runtime.registry().find("tally.partition.lag").meters()).isEmpty();
    }

    private static PrometheusText scrape(String base) {
        return new PrometheusText(Http.get(base + "/metrics").body());
    }
}
