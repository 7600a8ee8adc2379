package io.tally.processor.internal.engine;

import io.tally.common.config.TallyConfig;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A processor cut off from Redis longer than its lease TTL no longer reports the partitions it owned
 * (ownedPartitions, the owned gauge), since its leases have expired in Redis and another processor owns
 * them now: two processors never both claim a partition.
 */
class CutOffOwnershipTest {
    private static final int P = 4;
    private static final int TTL_MS = 2_000;
    private TestRedis redis;
    private ReplyCuttingProxy proxy;
    private Processor cutOff;
    private Processor healthy;

    @BeforeEach
    void setUp() {
        redis = TestRedis.ownServer();
        proxy = ReplyCuttingProxy.start(redis.server().orElseThrow().port());
    }

    @AfterEach
    void tearDown() {
        if (healthy != null) {
            healthy.close();
        }
        if (cutOff != null) {
            cutOff.close();
        }
        proxy.close();
        redis.close();
    }

    @Test
    void aProcessorCutOffPastItsLeaseTtl_stopsReportingThePartitionsAnotherNowOwns() {
        TallyConfig.Builder base = redis.config(P).set(TallyConfig.TICK_MS, 50).set(TallyConfig.LEASE_TTL_MS, TTL_MS)
                .set(TallyConfig.IDLE_POLL_MS, 5);
        TallyConfig direct = base.set(TallyConfig.PROCESSOR_ID, "healthy").build();
        TallyConfig viaProxy = base.set(TallyConfig.PROCESSOR_ID, "cut-off").set(TallyConfig.REDIS_URL, proxy.url()).build();
        cutOff = Processor.start(viaProxy, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(20)).until(() -> cutOff.ownedPartitions().size() == P);
        healthy = Processor.start(direct, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(20)).until(() -> cutOff.ownedPartitions().size() == P / 2
                && healthy.ownedPartitions().size() == P / 2);

        proxy.close(); // the network between the cut-off processor and Redis is gone
        await().atMost(Duration.ofSeconds(10)).until(() -> healthy.ownedPartitions().size() == P);

        await().atMost(Duration.ofMillis(3 * TTL_MS)).until(() -> cutOff.ownedPartitions().isEmpty());
        Set<Integer> both = new HashSet<>(cutOff.ownedPartitions());
        both.retainAll(healthy.ownedPartitions());
        assertThat(both).isEmpty();
        assertThat(cutOff.ready()).isFalse();
    }
}
