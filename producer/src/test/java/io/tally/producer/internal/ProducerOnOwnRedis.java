package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A producer on a redis-server of its own (for tests that pause, restart, flush or re-permission it), with a
 * namespace of 2 partitions as {@code tally init} makes it, one send written ("warm"), and every failed send's
 * {@code tally_producer_send_failures_total} reason recorded in {@link #reasons}.
 */
final class ProducerOnOwnRedis implements AutoCloseable {
    static final long SEND_TIMEOUT_MS = 2000;
    /** Room beyond send-timeout-ms for a loaded 2-core machine. */
    static final long SLACK_MS = 1500;
    static final int PARTITIONS = 2;

    final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();
    final ProducerMetrics metrics = new ProducerMetrics() {
        @Override
        public void failed(String topic, String reason) {
            reasons.add(reason);
        }
    };
    final RedisServer server;
    final TallyConfig config;
    final RedissonClient client;
    final TallyProducer producer;

    ProducerOnOwnRedis(String namespace) {
        server = RedisServer.start();
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).set(TallyConfig.NAMESPACE, namespace)
                .set(TallyConfig.PARTITIONS, PARTITIONS).set(TallyConfig.SEND_TIMEOUT_MS, SEND_TIMEOUT_MS).build();
        client = RedisClientFactory.create(config);
        Namespace.create(client, config); // as `tally init` would
        producer = RedisTallyProducer.create(config, metrics);
        assertThat(producer.incr("warm", 1).join().entryId()).isNotEmpty();
    }

    /** The entries in the namespace's partition streams. */
    long entries() {
        Keys keys = TestRedis.keys(config);
        long n = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            n += client.getStream(keys.ops(p), StringCodec.INSTANCE).size();
        }
        return n;
    }

    /** The failure a send ended with, asserting that it failed. */
    static Throwable failure(CompletableFuture<SendResult> send) {
        Throwable t = catchThrowable(send::get);
        assertThat(t).as("the send failed").isInstanceOf(ExecutionException.class);
        return t.getCause();
    }

    static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Override
    public void close() {
        producer.close();
        client.shutdown();
        server.close();
    }
}
