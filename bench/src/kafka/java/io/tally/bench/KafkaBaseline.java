package io.tally.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * The {@code kafka} scenario: Kafka on the same machine and the same workload as Tally's producer and
 * drain scenarios, so that every claim against Kafka comes from one bench run. A single-node KRaft
 * broker in a child JVM; the Kafka producer (acks=all, idempotent, keyed by counter, 16 partitions)
 * sends the producer scenario's operations; then a Kafka Streams application sums them per counter
 * into a store, once with exactly_once_v2 and once with at_least_once, timed from its first commit
 * to the commit of the last record (as the drain is timed from the first applied batch), every counter
 * then compared with the expected value. Built only with the bench's {@code kafka} Maven profile.
 */
final class KafkaBaseline {
    private static final String TOPIC = "ops";

    private KafkaBaseline() {
    }

    /** Runs the scenario's run {@code run}, putting its figures into the context's results. */
    static void run(BenchContext ctx, int run) throws Exception {
        long n = ctx.count(1_000_000, 5_000);
        long seed = 6000 + run;
        Path dir = Files.createDirectories(ctx.dir.resolve("kafka-" + run));
        try (KafkaBroker broker = KafkaBroker.start(dir); Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, Workload.PARTITIONS, (short) 1))).all().get();
            produce(ctx, broker, admin, dir, n, seed);
            count(ctx, broker, admin, dir, n, seed, "exactly_once_v2", "kafka.streams_eos");
            count(ctx, broker, admin, dir, n, seed, "at_least_once", "kafka.streams_alos");
        }
    }

    private static void produce(BenchContext ctx, KafkaBroker broker, Admin admin, Path dir, long n, long seed)
            throws Exception {
        Path out = dir.resolve("producer.out");
        List<String> cmd = new ArrayList<>(Child.java());
        cmd.addAll(List.of("-cp", Child.classpath(), KafkaProducerRun.class.getName(), broker.bootstrap, TOPIC,
                Long.toString(n), Long.toString(seed), out.toString()));
        try (Child producer = Child.start("kafka-producer", cmd, dir)) {
            producer.sampleHeap();
            double cpu = 0;
            while (producer.alive()) {
                double c = producer.cpuSeconds();
                cpu = Double.isNaN(c) ? cpu : c; // the last reading before exit: nearly all of its CPU time
                Sleep.ms(100);
            }
            int code = producer.await(600_000);
            if (code != 0) {
                throw new IllegalStateException("kafka producer exited with " + code + ":\n" + producer.tail());
            }
            Map<String, String> r = read(out);
            long inTopic = endOffsets(admin);
            if (!"0".equals(r.get("failed")) || Long.parseLong(r.get("ok")) != n || inTopic != n) {
                throw new IllegalStateException("kafka producer: sent " + n + ", acknowledged " + r.get("ok") + ", failed "
                        + r.get("failed") + " (" + r.get("first_error") + "), records in the topic " + inTopic);
            }
            ctx.results.put("kafka.producer", Double.parseDouble(r.get("rate")));
            ctx.results.put("kafka.producer_cpu_us", 1e6 * cpu / n);
        }
    }

    private static void count(BenchContext ctx, KafkaBroker broker, Admin admin, Path dir, long n, long seed,
                              String guarantee, String key) throws Exception {
        String applicationId = "count-" + guarantee;
        Path out = dir.resolve(applicationId + ".out");
        List<String> cmd = new ArrayList<>(Child.java());
        cmd.addAll(List.of("-cp", Child.classpath(), KafkaStreamsCount.class.getName(), broker.bootstrap, TOPIC,
                Long.toString(n), Long.toString(seed), guarantee, applicationId,
                Files.createDirectories(dir.resolve(applicationId + "-state")).toString(), out.toString()));
        try (Child app = Child.start("kafka-" + applicationId, cmd, dir)) {
            app.sampleHeap();
            // Timed from the first commit, so that the JVM's start-up and the group's first rebalance are not.
            long deadline = System.currentTimeMillis() + 120_000;
            long c0;
            while ((c0 = committed(admin, applicationId)) == 0) {
                app.requireAlive();
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException(applicationId + " committed nothing in 120 s:\n" + app.tail());
                }
                Sleep.ms(2);
            }
            long t0 = System.nanoTime();
            double cpu0 = app.cpuSeconds();
            double broker0 = broker.child.cpuSeconds();
            while (committed(admin, applicationId) < n) {
                app.requireAlive();
                Sleep.ms(5);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = app.cpuSeconds() - cpu0;
            double brokerCpu = broker.child.cpuSeconds() - broker0;
            int code = app.await(300_000);
            Map<String, String> r = read(out);
            if (code != 0 || !"0".equals(r.get("mismatches"))) {
                throw new IllegalStateException(applicationId + " exited with " + code + ", counters wrong: "
                        + r.get("mismatches") + ":\n" + app.tail());
            }
            ctx.results.put(key, (n - c0) / seconds);
            ctx.results.put(key + "_cpu_us", 1e6 * cpu / (n - c0));
            ctx.results.put(key + "_broker_us", 1e6 * brokerCpu / (n - c0));
        }
    }

    /** Records the group has committed over every partition of the topic. */
    static long committed(Admin admin, String group) throws InterruptedException, ExecutionException {
        Map<TopicPartition, OffsetAndMetadata> offsets =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        return offsets.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
    }

    private static long endOffsets(Admin admin) throws InterruptedException, ExecutionException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < Workload.PARTITIONS; p++) {
            latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().values().stream()
                .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    private static Map<String, String> read(Path out) throws java.io.IOException {
        Map<String, String> map = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                map.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return map;
    }
}
