package io.tally.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * A child process of the Kafka baseline: a Kafka Streams application that sums each counter's deltas
 * from the topic into a key-value store (groupByKey().reduce), one stream thread, with the processing
 * guarantee given (exactly_once_v2 or at_least_once), committing every 100 ms. When its consumer group has committed every
 * record of the topic it compares every counter in the store with the workload's expected values and
 * writes {@code committed} and {@code mismatches} (counters whose value differs) to its out file.
 *
 * <p>{@code KafkaStreamsCount <bootstrap> <topic> <count> <seed> <guarantee> <application id> <state dir> <out file>}
 */
public final class KafkaStreamsCount {
    static final String STORE = "counters";

    private KafkaStreamsCount() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long n = Long.parseLong(args[2]);
        long seed = Long.parseLong(args[3]);
        String guarantee = args[4];
        String applicationId = args[5];
        Path stateDir = Path.of(args[6]);
        Path out = Path.of(args[7]);

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topic, Consumed.with(Serdes.String(), Serdes.Long()))
                .groupByKey()
                .reduce(Long::sum, Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(STORE)
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // exactly_once_v2's default; at_least_once's (30 s) would commit a whole run at once, and the
        // baseline times the run by its commits
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);

        try (KafkaStreams streams = new KafkaStreams(builder.build(), props);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            streams.start();
            long committed = 0;
            long deadline = System.currentTimeMillis() + Math.max(300_000, n / 5);
            while ((committed = KafkaBaseline.committed(admin, applicationId)) < n) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("committed " + committed + " of " + n + " in time");
                }
                Thread.sleep(20);
            }
            while (streams.state() != KafkaStreams.State.RUNNING) {
                Thread.sleep(20);
            }
            ReadOnlyKeyValueStore<String, Long> store = streams.store(
                    StoreQueryParameters.fromNameAndType(STORE, QueryableStoreTypes.keyValueStore()));
            long[] expected = expected(n, seed);
            int mismatches = 0;
            for (int i = 0; i < expected.length; i++) {
                Long value = store.get(Workload.name(i));
                if ((value == null ? 0 : value) != expected[i]) {
                    mismatches++;
                }
            }
            Files.writeString(out, "committed=" + committed + "\nmismatches=" + mismatches + "\n");
        }
    }

    private static long[] expected(long n, long seed) {
        long[] expected = new long[Workload.COUNTERS];
        Workload workload = new Workload(seed);
        for (long i = 0; i < n; i++) {
            Workload.Op op = workload.next();
            expected[op.counter()] += op.delta();
        }
        return expected;
    }
}
