package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.ProcessorProcess;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import io.tally.testkit.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Processes of their own, stopped and terminated: a processor frozen with SIGSTOP for longer than
 * the lease TTL, or only the member timeout, loses its partitions and, once resumed, changes nothing;
 * SIGTERM hands partitions over at once and exits within 10 s.
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class FencingTest {
    private static final int P = 8;
    private final List<ProcessorProcess> processes = new ArrayList<>();

    @AfterEach
    void stopAll() {
        processes.forEach(ProcessorProcess::close);
    }

    @Test
    void aProcessorPausedPastItsLeaseChangesNothingAfterResuming(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        List<String> args = List.of("--lease-ttl-ms", "1500", "--tick-ms", "100");
        Workload workload = Workload.random(99, 60_000, 300);
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            Pair pair = startFirstThenSecond(redis, config, args, inspector);
            ProcessorProcess first = pair.first();
            ProcessorProcess second = pair.second();

            List<io.tally.common.model.CounterOp> ops = workload.ops();
            ops.subList(0, 20_000).forEach(producer::send);
            producer.flush();
            first.pause();
            ops.subList(20_000, 40_000).forEach(producer::send);
            producer.flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream()
                    .allMatch(o -> o != null && o.startsWith("second:")));
            first.resume();
            ops.subList(40_000, 60_000).forEach(producer::send);
            producer.flush();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
            assertThat(inspector.counters()).isEqualTo(workload.expected());
            // Back from the pause, the first processor stops working on what it held (lost lease or
            // rebalance) instead of carrying on; ApplyScriptTest shows a stale lease changes nothing.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(first.log()).containsAnyOf("lease lost", "released partitions"));
            assertThat(second.isAlive()).isTrue();
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aSilentProcessorsPartitionsAreTakenOverAfterTheMemberTimeoutNotTheLeaseTtl(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        List<String> args = List.of("--lease-ttl-ms", "60000", "--member-timeout-ms", "1000", "--tick-ms", "100");
        Workload workload = Workload.random(7, 30_000, 200);
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            Pair pair = startFirstThenSecond(redis, config, args, inspector);
            ProcessorProcess first = pair.first();
            ProcessorProcess second = pair.second();
            List<io.tally.common.model.CounterOp> ops = workload.ops();
            ops.subList(0, 10_000).forEach(producer::send);
            producer.flush();

            first.pause();
            long pausedAt = System.nanoTime();
            ops.subList(10_000, 20_000).forEach(producer::send);
            producer.flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream()
                    .allMatch(o -> o != null && o.startsWith("second:")));
            long movedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAt);
            // The first one's leases had up to 60 s left; they moved once it had missed heartbeats for 1 s.
            assertThat(movedMs).isLessThan(15_000);
            // The lease is written before the line is logged and read back from the process's output.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(second.log()).contains("took over partitions"));

            first.resume();
            ops.subList(20_000, 30_000).forEach(producer::send);
            producer.flush();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
            assertThat(inspector.counters()).isEqualTo(workload.expected());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(first.log()).containsAnyOf("lease lost", "released partitions"));
            // Back, it rejoins and gets its share again (from the second, which releases it).
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream()
                    .filter(o -> o != null && o.startsWith("first:")).count() == P / 2);
            assertThat(second.isAlive()).isTrue();
        } finally {
            client.shutdown();
        }
    }

    @Test
    void sigtermReleasesLeasesAtOnceAndExitsWithinTenSeconds(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        List<String> args = List.of("--lease-ttl-ms", "10000", "--tick-ms", "100");
        ProcessorProcess leaving = start("leaving", redis, config, args);
        RedissonClient client = redis.client();
        try {
            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream().allMatch(o -> o != null));
            ProcessorProcess staying = start("staying", redis, config, args);
            await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream()
                    .filter(o -> o != null && o.startsWith("staying:")).count() == P / 2);

            long start = System.nanoTime();
            int exit = leaving.terminate(10);
            long exitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(exit).as("exit code").isZero();
            assertThat(exitMs).isLessThan(10_000);
            assertThat(inspector.owners().values()).noneMatch(o -> o != null && o.startsWith("leaving:"));
            // The TTL is 10 s; the survivor takes everything long before it would have expired.
            await().atMost(Duration.ofSeconds(3)).until(() -> inspector.owners().values().stream()
                    .allMatch(o -> o != null && o.startsWith("staying:")));
            assertThat(staying.isAlive()).isTrue();
        } finally {
            client.shutdown();
        }
    }

    private record Pair(ProcessorProcess first, ProcessorProcess second) {
    }

    /** Starts "first", waits until it owns every partition, then "second" until it owns half. */
    private Pair startFirstThenSecond(TestRedis redis, TallyConfig config, List<String> args,
                                                  PipelineInspector inspector) {
        ProcessorProcess first = start("first", redis, config, args);
        await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream().allMatch(o -> o != null));
        ProcessorProcess second = start("second", redis, config, args);
        await().atMost(Duration.ofSeconds(20)).until(() -> inspector.owners().values().stream()
                .filter(o -> o != null && o.startsWith("second:")).count() == P / 2);
        return new Pair(first, second);
    }

    private ProcessorProcess start(String name, TestRedis redis, TallyConfig config, List<String> args) {
        List<String> all = new ArrayList<>(List.of("--partitions", Integer.toString(P)));
        all.addAll(args);
        ProcessorProcess process = ProcessorProcess.start(name, redis.url(), config.namespace(), all);
        processes.add(process);
        return process;
    }
}
