package io.tally.app.runtime;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tally.common.TallyVersion;
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
import java.util.List;
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
        TallyConfig config = testRedis.config(PARTITIONS).set(TallyConfig.METRICS_PORT, 0).build();
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
            redis.getStream(TestRedis.keys(config).ops(0), StringCodec.INSTANCE)
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
            String me = runtime.processor().processorId();
            assertThat(m.sum("tally_processor_dead_letters_total", "topic", "ops", "reason", "missing_field")).isEqualTo(1);
            assertThat(m.sum("tally_processor_partitions_owned")).isEqualTo(PARTITIONS);
            assertThat(m.find("tally_partition_owned", "processor", me)).hasSize(PARTITIONS);
            assertThat(m.find("tally_partition_lag", "processor", me)).hasSize(2 * PARTITIONS);
            assertThat(m.sum("tally_partitions_unowned")).isZero();
            assertThat(m.find("tally_processor_info", "processor", me, "owner_token",
                    runtime.processor().instanceId(), "version", TallyVersion.current())).singleElement()
                    .satisfies(s -> assertThat(s.value()).isEqualTo(1));
            assertThat(m.find("jvm_memory_used_bytes", "namespace", config.namespace())).isNotEmpty();
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
    void twoProcessors_eachPartitionIsExportedOnceByItsOwner_underAProcessorIdThatSurvivesARestart(TestRedis testRedis) {
        TallyConfig.Builder base = testRedis.config(PARTITIONS).set(TallyConfig.METRICS_PORT, 0);
        TallyConfig one = base.set(TallyConfig.PROCESSOR_ID, "proc-one").build();
        TallyConfig two = base.set(TallyConfig.PROCESSOR_ID, "proc-two").build();
        try (ProcessorRuntime first = ProcessorRuntime.start(one, 200)) {
            String firstToken;
            try (ProcessorRuntime second = ProcessorRuntime.start(two, 200)) {
                firstToken = first.processor().instanceId();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    PrometheusText a = scrape(first);
                    PrometheusText b = scrape(second);
                    assertThat(a.find("tally_partition_owned")).isNotEmpty()
                            .allSatisfy(s -> assertThat(s.labels()).containsEntry("processor", "proc-one"));
                    assertThat(b.find("tally_partition_owned")).isNotEmpty()
                            .allSatisfy(s -> assertThat(s.labels()).containsEntry("processor", "proc-two"));
                    assertThat(partitions(a, "tally_partition_owned")).doesNotContainAnyElementsOf(
                            partitions(b, "tally_partition_owned"));
                    assertThat(a.find("tally_partition_owned").size() + b.find("tally_partition_owned").size())
                            .isEqualTo(PARTITIONS);
                    assertThat(a.find("tally_partition_lag", "topic", "ops").size()
                            + b.find("tally_partition_lag", "topic", "ops").size()).isEqualTo(PARTITIONS);
                    assertThat(a.find("tally_partition_pending", "topic", "ops").size()
                            + b.find("tally_partition_pending", "topic", "ops").size()).isEqualTo(PARTITIONS);
                    assertThat(a.find("tally_processor_info", "owner_token", firstToken)).hasSize(1);
                });
            }
            try (ProcessorRuntime restarted = ProcessorRuntime.start(two, 200)) {
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    PrometheusText b = scrape(restarted);
                    String newToken = restarted.processor().instanceId();
                    assertThat(b.find("tally_processor_info", "processor", "proc-two", "owner_token", newToken))
                            .hasSize(1);
                    assertThat(b.find("tally_partition_owned")).isNotEmpty()
                            .allSatisfy(s -> assertThat(s.labels()).containsEntry("processor", "proc-two"));
                    assertThat(scrape(first).find("tally_partition_owned").size() + b.find("tally_partition_owned")
                            .size()).isEqualTo(PARTITIONS);
                });
            }
        }
    }

    private static List<String> partitions(PrometheusText m, String name) {
        return m.find(name).stream().map(s -> s.labels().get("partition")).toList();
    }

    private static PrometheusText scrape(ProcessorRuntime runtime) {
        return scrape("http://127.0.0.1:" + runtime.httpPort());
    }

    @Test
    void close_releasesLeasesAndRemovesMeters(TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).set(TallyConfig.METRICS_PORT, 0).build();
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
