package io.tally.it.series;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.redisson.api.RedissonClient;

import java.util.Random;

/**
 * Ad-hoc drain-rate comparison, not a test: prefills N operations into a fresh namespace of its own
 * redis-server, then times one in-process processor until every checkpoint reaches the end of its
 * stream. Run plain and windowed back to back on the same server:
 * {@code java -cp <processor test class path> io.tally.it.series.SeriesDrainBench 500000}.
 */
public final class SeriesDrainBench {
    private static final int P = 16;

    private SeriesDrainBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 500_000;
        try (RedisServer server = RedisServer.start()) {
            for (String mode : new String[] {"plain", "windows=1m,1h,1d", "plain", "windows=1m,1h,1d"}) {
                System.out.printf("%-18s %,d ops drained at %,.0f ops/s%n", mode, n, drain(server.url(), n, !mode.equals("plain")));
            }
        }
    }

    private static double drain(String url, int n, boolean windowed) throws Exception {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, url)
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P).build();
        Random random = new Random(1);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            for (int i = 0; i < n; i++) {
                CounterOp op = CounterOp.incr("page:" + random.nextInt(1_000), 1);
                producer.send(windowed ? op.withWindows("1m", "1h", "1d") : op);
                if (i % 50_000 == 0) {
                    producer.flush();
                }
            }
            producer.flush();
        }
        RedissonClient client = new TestRedisClient(url).client();
        PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
        long start = System.nanoTime();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            while (!inspector.checkpointMismatches().isEmpty()) {
                Thread.sleep(20);
            }
            return n / ((System.nanoTime() - start) / 1e9);
        } finally {
            client.shutdown();
        }
    }

    /** A client on the bench's own server. */
    private record TestRedisClient(String url) {
        RedissonClient client() {
            return io.tally.common.internal.redis.RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, url).build());
        }
    }
}
