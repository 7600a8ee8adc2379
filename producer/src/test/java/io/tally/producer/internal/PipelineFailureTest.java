package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One stream's failure inside a pipeline fails that stream's sends only; the others were written. A write
 * Redis refuses inside the send script fails the send with Redis's error as its typed cause.
 */
@ExtendWith(RealRedisExtension.class)
class PipelineFailureTest {

    @Test
    void aFailingStreamDoesNotFailTheOtherStreamsOfItsPipeline(TestRedis redis) throws Exception {
        // one lane, so both partitions' sends leave in the same pipeline
        TallyConfig config = redis.config(2).set(TallyConfig.PRODUCER_MAX_IN_FLIGHT, 1)
                .set(TallyConfig.PRODUCER_LINGER_MS, 200).build();
        Partitioner partitioner = new Partitioner(2);
        String good = counterOn(partitioner, 0);
        String bad = counterOn(partitioner, 1);
        Keys keys = TestRedis.keys(config);
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            client.getKeys().delete(keys.ops(1));
            client.getBucket(keys.ops(1), StringCodec.INSTANCE).set("not a stream");
            List<CompletableFuture<SendResult>> goodSends = new ArrayList<>();
            List<CompletableFuture<SendResult>> badSends = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                goodSends.add(producer.incr(good, 1));
                badSends.add(producer.incr(bad, 1));
            }
            producer.flush();
            for (CompletableFuture<SendResult> f : goodSends) {
                assertThat(f.get().partition()).isZero();
            }
            for (CompletableFuture<SendResult> f : badSends) {
                assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(SendFailedException.class).hasMessageContaining("WRONGTYPE");
            }
            assertThat(client.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(10);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aWriteRefusedForOutOfMemoryInsideTheSendScript_failsTheSendRetriable_withATypedCause() throws Exception {
        try (RedisServer server = RedisServer.start()) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, "oom").set(TallyConfig.PARTITIONS, 2).build();
            RedissonClient client = RedisClientFactory.create(config);
            Namespace.create(client, config); // as `tally init` would
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                assertThat(producer.incr("warm", 1).get().entryId()).isNotEmpty();
                server.cli("CONFIG", "SET", "maxmemory", "1");
                // append_runs.lua reports the refused XADD in its reply, as "entry 1: OOM ..."
                assertThatThrownBy(() -> producer.incr("full", 1).get()).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOfSatisfying(SendFailedException.class, e -> {
                            assertThat(e.retriable()).isTrue();
                            assertThat(e).hasMessageContaining("OOM").hasRootCauseInstanceOf(RedisOutOfMemoryException.class);
                        });
                server.cli("CONFIG", "SET", "maxmemory", "0");
                assertThat(producer.incr("full", 1).get().entryId()).isNotEmpty();
                // the refused send wrote nothing: the two streams hold "warm" and the accepted "full"
                Keys keys = TestRedis.keys(config);
                assertThat(client.getStream(keys.ops(0), StringCodec.INSTANCE).size()
                        + client.getStream(keys.ops(1), StringCodec.INSTANCE).size()).isEqualTo(2);
            } finally {
                client.shutdown();
            }
        }
    }

    private static String counterOn(Partitioner partitioner, int partition) {
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("c" + i) == partition) {
                return "c" + i;
            }
        }
    }
}
