package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static io.tally.producer.internal.ProducerOnOwnRedis.SEND_TIMEOUT_MS;
import static io.tally.producer.internal.ProducerOnOwnRedis.SLACK_MS;
import static io.tally.producer.internal.ProducerOnOwnRedis.elapsedMs;
import static io.tally.producer.internal.ProducerOnOwnRedis.failure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis loses its data (FLUSHALL, or a restart without persistence) under a running producer and no
 * processor restores the namespace: the producer never creates it; its sends wait up to send-timeout-ms,
 * then fail naming the namespace, having written nothing. Back with its P, the waiting sends go; back
 * with another P, every send fails: entries routed with this producer's P would land where no processor reads.
 */
class NamespaceLossTest {
    private ProducerOnOwnRedis own;

    @BeforeEach
    void start() {
        own = new ProducerOnOwnRedis("lost");
    }

    @AfterEach
    void stop() {
        own.close();
    }

    @Test
    void flushedAndNeverRestored_sendsWaitUpToSendTimeout_thenFailNamingTheNamespace_andWriteNothing() throws Exception {
        own.server.cli("FLUSHALL");
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS); // the watch sees it missing
        long t0 = System.nanoTime();
        Throwable failure = failure(own.producer.incr("lost", 1));
        long waitedMs = elapsedMs(t0);
        assertThat(waitedMs).isBetween(SEND_TIMEOUT_MS - 300, SEND_TIMEOUT_MS + SLACK_MS);
        assertThat(failure).isInstanceOfSatisfying(SendFailedException.class, e -> assertThat(e.retriable()).isTrue())
                .hasMessageContaining("lost").hasMessageContaining("tally init");
        assertThat(own.reasons).containsExactly("namespace");
        assertThat(own.server.cli("DBSIZE")).as("the producer created nothing, the namespace least of all").isEqualTo("0");
    }

    @Test
    void flushedThenRestoredWithItsP_aWaitingSendGoesThrough() throws Exception {
        own.server.cli("FLUSHALL");
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS);
        CompletableFuture<SendResult> waiting = own.producer.incr("later", 1);
        Thread.sleep(500);
        assertThat(waiting).isNotDone();
        Namespace.create(own.client, own.config); // a processor restores it within a tick
        assertThat(waiting.get().entryId()).isNotEmpty();
        assertThat(own.reasons).isEmpty();
    }

    @Test
    void flushedThenCreatedWithAnotherP_everySendFailsNotRetriable_andNothingIsWrittenWithTheOldP() throws Exception {
        own.server.cli("FLUSHALL");
        Namespace.create(own.client, own.config.toBuilder().set(TallyConfig.PARTITIONS, 4).build());
        Thread.sleep(2 * NamespaceWatch.INTERVAL_MS);
        long keysBefore = Long.parseLong(own.server.cli("DBSIZE"));
        Throwable failure = failure(own.producer.incr("moved", 1));
        assertThat(failure).isInstanceOfSatisfying(SendFailedException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessageContaining("Restart the producer");
        assertThat(own.reasons).containsExactly("namespace");
        assertThat(Long.parseLong(own.server.cli("DBSIZE"))).isEqualTo(keysBefore);
    }
}
