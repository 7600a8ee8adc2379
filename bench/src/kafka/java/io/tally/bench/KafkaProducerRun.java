package io.tally.bench;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A child process of the Kafka baseline: sends the benchmark's workload (the producer scenario's
 * operations, same seed) to a topic as fast as the Kafka producer takes them, with Kafka's defaults
 * but for acks=all and idempotence (its default since 3.0, set here explicitly), keyed by counter,
 * the delta as the value. Writes {@code ok}, {@code failed}, {@code first_error} and {@code rate}
 * (sends/s from the first send to the last acknowledgment) to its out file, as LoadProducer does.
 *
 * <p>{@code KafkaProducerRun <bootstrap> <topic> <count> <seed> <out file>}
 */
public final class KafkaProducerRun {
    private KafkaProducerRun() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        long n = Long.parseLong(args[2]);
        long seed = Long.parseLong(args[3]);
        Path out = Path.of(args[4]);
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>("");
        Workload workload = new Workload(seed);
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, LongSerializer.class);
        long start;
        long end;
        try (KafkaProducer<String, Long> producer = new KafkaProducer<>(config)) {
            producer.partitionsFor(topic); // metadata fetched before the clock starts, as Tally's producer opens first
            start = System.nanoTime();
            for (long i = 0; i < n; i++) {
                Workload.Op op = workload.next();
                producer.send(new ProducerRecord<>(topic, op.name(), op.delta()), (metadata, e) -> {
                    if (e == null) {
                        ok.incrementAndGet();
                    } else if (failed.incrementAndGet() == 1) {
                        firstError.set(e.toString());
                    }
                });
            }
            producer.flush();
            end = System.nanoTime();
        }
        double seconds = (end - start) / 1e9;
        Files.writeString(out, "ok=" + ok.get() + "\nfailed=" + failed.get() + "\nfirst_error=" + firstError.get()
                + "\nrate=" + (ok.get() / seconds) + "\n");
    }
}
