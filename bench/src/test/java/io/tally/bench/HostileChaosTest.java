package io.tally.bench;

import io.tally.testkit.TestRedis;
import io.tally.testkit.chaos.ChaosRun;
import io.tally.testkit.chaos.ChaosRun.Fault;
import io.tally.testkit.chaos.HostileChaos;
import io.tally.testkit.chaos.ValidTraffic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI-sized hostile chaos run (the bench's {@code hostile} scenario at a small scale): 20 s of valid
 * traffic with every send carrying an id, every entry of the test kit's HostileCatalogue written raw into the
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

        ChaosRun.Report report = HostileChaos.run(settings, processors, ProducerChaosClient::open, new Random(16),
                line -> System.out.println("[hostile] " + line));

        System.out.println("[hostile] " + report);
        assertThat(report.kills() + report.stops() + report.redisRestarts()).isEqualTo(3);
        assertThat(report.mismatches()).as("mismatches of the hostile chaos run").isEmpty();
    }
}
