package io.tally.bench;

import io.tally.processor.internal.apply.HotPathSpike;
import io.tally.testkit.RawRedis;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The lettuce-drain scenario's child process, one per client so that each path has a JVM of its own
 * (as a processor has) and neither's JIT profile shapes the other's code: drains a warm-up namespace
 * unmeasured, then the measured one, and writes what the measured drain cost to the out file
 * ({@code seconds=}, {@code process_cpu=}, {@code redis_cpu=}, in seconds).
 *
 * <p>{@code HotPathSpikeMain <direct|lettuce> <redis-url> <warm-namespace> <warm-entries> <namespace> <entries> <out>}
 */
final class HotPathSpikeMain {
    private static final long TIMEOUT_MS = 600_000;
    private static final int PARTITIONS = Workload.PARTITIONS;

    private HotPathSpikeMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            throw new IllegalArgumentException("usage: HotPathSpikeMain <direct|lettuce> <redis-url> <warm-namespace> "
                    + "<warm-entries> <namespace> <entries> <out>");
        }
        HotPathSpike.Client client = HotPathSpike.Client.valueOf(args[0].toUpperCase(Locale.ROOT));
        String url = args[1];
        try (HotPathSpike warm = HotPathSpike.open(client, url, args[2], PARTITIONS)) {
            warm.drain(Long.parseLong(args[3]), TIMEOUT_MS);
        }
        long entries = Long.parseLong(args[5]);
        try (RawRedis redis = new RawRedis(url); HotPathSpike spike = HotPathSpike.open(client, url, args[4], PARTITIONS)) {
            System.gc(); // the warm-up's garbage is not the measured drain's
            double redis0 = redisCpuSeconds(redis);
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            long applied = spike.drain(entries, TIMEOUT_MS);
            long t1 = System.nanoTime();
            long cpu1 = processCpuNanos();
            double redis1 = redisCpuSeconds(redis);
            if (applied != entries) {
                throw new IllegalStateException("applied " + applied + " of " + entries);
            }
            Files.writeString(Path.of(args[6]), String.format(Locale.ROOT, "seconds=%.6f%nprocess_cpu=%.6f%nredis_cpu=%.6f%n",
                    (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, redis1 - redis0));
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double redisCpuSeconds(RawRedis redis) {
        return Double.parseDouble(redis.info("cpu", "used_cpu_sys")) + Double.parseDouble(redis.info("cpu", "used_cpu_user"));
    }
}
