package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.Pause;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Starting and stopping processors moves partitions as the assignment says: balanced, never owned
 * by two processors at once, never without an owner for longer than the lease TTL.
 */
@ExtendWith(RealRedisExtension.class)
class RebalanceTest {
    private static final int P = 12;
    private static final int TTL = 2000;

    @Test
    void joinsAndLeavesKeepOwnershipBalancedExclusiveAndContinuous(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).set(TallyConfig.LEASE_TTL_MS, TTL).set(TallyConfig.TICK_MS, 100).build();
        RedissonClient client = redis.client();
        PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
        List<Processor> running = new CopyOnWriteArrayList<>();
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Map<Integer, Long> unownedSince = new HashMap<>();
        long[] longestUnowned = {0};

        running.add(Processor.start(config, ProcessorListener.NOOP));
        awaitBalanced(running, 1);

        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                Set<Integer> seen = new HashSet<>();
                for (Processor p : running) {
                    for (int part : p.ownedPartitions()) {
                        if (!seen.add(part)) {
                            violations.add("partition " + part + " owned by two processors");
                        }
                    }
                }
                long now = System.currentTimeMillis();
                inspector.owners().forEach((part, owner) -> {
                    if (owner == null) {
                        long since = unownedSince.computeIfAbsent(part, k -> now);
                        longestUnowned[0] = Math.max(longestUnowned[0], now - since);
                    } else {
                        unownedSince.remove(part);
                    }
                });
                Pause.ms(50);
            }
        });
        sampler.start();
        try {
            running.add(Processor.start(config, ProcessorListener.NOOP));
            awaitBalanced(running, 2);
            running.add(Processor.start(config, ProcessorListener.NOOP));
            awaitBalanced(running, 3);
            Set<Integer> keptByFirst = running.get(0).ownedPartitions();
            Processor leaving = running.remove(1);
            leaving.close();
            awaitBalanced(running, 2);
            assertThat(running.get(0).ownedPartitions()).as("sticky: the first keeps what it had").containsAll(keptByFirst);
        } finally {
            sampling.set(false);
            sampler.join();
            running.forEach(Processor::close);
            client.shutdown();
        }
        assertThat(violations).isEmpty();
        assertThat(longestUnowned[0]).as("longest time a partition had no lease, ms").isLessThan(TTL);
    }

    private static void awaitBalanced(List<Processor> processors, int count) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<Integer> sizes = new ArrayList<>();
            Set<Integer> all = new HashSet<>();
            for (Processor p : processors) {
                sizes.add(p.ownedPartitions().size());
                all.addAll(p.ownedPartitions());
            }
            assertThat(processors).hasSize(count);
            assertThat(all).hasSize(P);
            assertThat(sizes.stream().mapToInt(i -> i).max().getAsInt() - sizes.stream().mapToInt(i -> i).min().getAsInt())
                    .isLessThanOrEqualTo(1);
        });
    }
}
