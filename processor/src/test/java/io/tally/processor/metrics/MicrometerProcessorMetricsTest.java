package io.tally.processor.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The halted gauges of a partition exist at 0 from its first acquisition, and an acquisition keeps a halt's 1. */
class MicrometerProcessorMetricsTest {

    @Test
    void anAcquiredPartitionHasAHaltedGaugePerReasonAt0_andReacquiringKeepsAHalt() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (MicrometerProcessorMetrics metrics = new MicrometerProcessorMetrics(registry, "ns")) {
            assertThat(registry.find("tally.processor.partition.halted").gauges()).isEmpty();

            metrics.leaseAcquired(2);
            for (String reason : new String[] {"unknown_version", "poison_retrying", "redis_refused", "stream_id_exhausted"}) {
                assertThat(halted(registry, "2", reason)).as(reason).isZero();
            }
            assertThat(registry.find("tally.processor.partition.halted").gauges()).hasSize(4);

            metrics.partitionHalted(2, "poison_retrying", true);
            metrics.leaseAcquired(2);
            assertThat(halted(registry, "2", "poison_retrying")).isEqualTo(1);
            metrics.partitionHalted(2, "poison_retrying", false);
            assertThat(halted(registry, "2", "poison_retrying")).isZero();
        }
    }

    private static double halted(SimpleMeterRegistry registry, String partition, String reason) {
        return registry.get("tally.processor.partition.halted").tag("namespace", "ns").tag("partition", partition)
                .tag("reason", reason).gauge().value();
    }
}
