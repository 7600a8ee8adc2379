package io.tally.bench;

import io.tally.common.internal.keys.Partitioner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's operations: incr (90 %) and decr (10 %) by 1..100 over {@value #COUNTERS} counters,
 * 4 fields per entry ({@code op counter by ts}). Generation is seeded and the expected value of every
 * counter is kept while generating, so each scenario can check the final counters exactly.
 */
final class Workload {
    static final int COUNTERS = 10_000;
    static final int PARTITIONS = 16;

    private static final String[] NAMES = new String[COUNTERS];
    private static final int[] PARTITION_OF = new int[COUNTERS];

    static {
        Partitioner partitioner = new Partitioner(PARTITIONS);
        for (int i = 0; i < COUNTERS; i++) {
            NAMES[i] = "c" + i;
            PARTITION_OF[i] = partitioner.partitionOf(NAMES[i]);
        }
    }

    private final SplittableRandom random;

    Workload(long seed) {
        random = new SplittableRandom(seed);
    }

    /** One generated operation: counter index and signed delta. */
    record Op(int counter, long delta) {
        String name() {
            return NAMES[counter];
        }

        int partition() {
            return PARTITION_OF[counter];
        }

        String kind() {
            return delta < 0 ? "decr" : "incr";
        }

        String by() {
            return Long.toString(Math.abs(delta));
        }
    }

    Op next() {
        int counter = random.nextInt(COUNTERS);
        long by = 1 + random.nextInt(100);
        return new Op(counter, random.nextInt(10) == 0 ? -by : by);
    }

    static String name(int counter) {
        return NAMES[counter];
    }

    static int partitionOf(int counter) {
        return PARTITION_OF[counter];
    }

    /** Expected values, one line per counter ({@code index value}), as the producer process writes them. */
    static void writeExpected(Path file, long[] expected) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != 0) {
                sb.append(i).append(' ').append(expected[i]).append('\n');
            }
        }
        try {
            Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void addExpected(Path file, long[] into) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    String[] parts = line.split(" ");
                    into[Integer.parseInt(parts[0])] += Long.parseLong(parts[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> names() {
        return new ArrayList<>(List.of(NAMES));
    }
}
