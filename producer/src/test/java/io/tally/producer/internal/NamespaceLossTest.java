package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Redis loses its data (FLUSHALL, or a restart without persistence) under a running producer and no
 * processor restores the namespace: the producer never creates it; its sends wait up to send-timeout-ms,
 * then fail naming the namespace, having written nothing. Back with its P, the waiting sends go; back
 * with another P, every send fails: entries routed with this producer's P would land where no processor reads.
 */
class NamespaceLossTest {
    private static final long SEND_TIMEOUT_MS = 2000;
    private static final long SLACK_MS = 1500;

    private final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();
    private RedisServer server;
    private RedissonClient client;
    private TallyConfig config;
    private TallyProducer producer;

    @BeforeEach
    void start() {
        server = RedisServer.start();
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).set(TallyConfig.NAMESPACE, "lost")
                .set(TallyConfig.PARTITIONS, 2).set(TallyConfig.SEND_TIMEOUT_MS, SEND_TIMEOUT_MS).build();
        client = RedisClientFactory.create(config);
        Namespace.create(client, config); // as `tally init` would
        producer = RedisTallyProducer.create(config, new ProducerMetrics() {
            @Override
            public void failed(String topic, String reason) {
                reasons.add(reason);
            }
        });
        assertThat(producer.incr("warm", 1).join().entryId()).isNotEmpty();
    }

    @AfterEach
    void stop() {
        producer.close();
        client.shutdown();
        server.close();
    }

    @Test
    void flushedAndNeverRestored_sendsWaitUpToSendTimeout_thenFailNamingTheNamespace_andWriteNothing() throws Exception {
        server.cli("FLUSHALL");
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS); // the watch sees it missing
        long t0 = System.nanoTime();
        Throwable failure = failure(producer.incr("lost", 1));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(waitedMs).isBetween(SEND_TIMEOUT_MS - 300, SEND_TIMEOUT_MS + SLACK_MS);
        assertThat(failure).isInstanceOfSatisfying(SendFailedException.class, e -> assertThat(e.retriable()).isTrue())
                .hasMessageContaining("lost").hasMessageContaining("tally init");
        assertThat(reasons).containsExactly("namespace");
        assertThat(server.cli("DBSIZE")).as("the producer created nothing, the namespace least of all").isEqualTo("0");
    }

    @Test
    void flushedThenRestoredWithItsP_aWaitingSendGoesThrough() throws Exception {
        server.cli("FLUSHALL");
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS);
        CompletableFuture<SendResult> waiting = producer.incr("later", 1);
        Thread.sleep(500);
        assertThat(waiting).isNotDone();
        Namespace.create(client, config); // a processor restores it within a tick
        assertThat(waiting.get().entryId()).isNotEmpty();
        assertThat(reasons).isEmpty();
    }

    @Test
    void flushedThenCreatedWithAnotherP_everySendFailsNotRetriable_andNothingIsWrittenWithTheOldP() throws Exception {
        server.cli("FLUSHALL");
        Namespace.create(client, config.toBuilder().set(TallyConfig.PARTITIONS, 4).build());
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS);
        long keysBefore = Long.parseLong(server.cli("DBSIZE"));
        Throwable failure = failure(producer.incr("moved", 1));
        assertThat(failure).isInstanceOfSatisfying(SendFailedException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("Restart the producer");
        assertThat(reasons).containsExactly("namespace");
        assertThat(Long.parseLong(server.cli("DBSIZE"))).isEqualTo(keysBefore);
    }

    private static Throwable failure(CompletableFuture<SendResult> send) {
        Throwable t = catchThrowable(send::get);
        assertThat(t).as("the send failed").isInstanceOf(ExecutionException.class);
        return t.getCause();
    }
}
