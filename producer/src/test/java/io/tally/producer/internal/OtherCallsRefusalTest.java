package io.tally.producer.internal;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With acks=replicas each append_runs call is a Redisson batch of its own, with its own WAIT: one call's
 * refusal says nothing about another call of the same pipeline. Here the ops call is refused (DEDUPEBUCKET:
 * the producer's clock names other dedupe buckets than Redis's) while the events call of the same pipeline
 * is written and confirmed by the replica; the event must be answered as written, never as a failure that
 * invites a second write.
 */
class OtherCallsRefusalTest {

    @ParameterizedTest(name = "producer sessions {0}")
    @ValueSource(booleans = {false, true})
    void aCallWrittenAndConfirmed_isAnsweredWritten_thoughAnotherCallOfItsPipelineWasRefused(boolean sessions)
            throws Exception {
        try (RedisServer master = RedisServer.start();
             RedisServer replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()))) {
            TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, master.url())
                    .set(TallyConfig.NAMESPACE, "refusal").set(TallyConfig.PARTITIONS, 1)
                    .set(TallyConfig.ACKS, Acks.REPLICAS).set(TallyConfig.PRODUCER_LINGER_MS, 100)
                    .set(TallyConfig.PRODUCER_IDEMPOTENCE, sessions).build();
            RedissonClient admin = RedisClientFactory.create(config);
            try {
                Namespace.create(admin, config);
                Keys keys = Namespace.keys(admin, "refusal");
                await().atMost(Duration.ofSeconds(10)).until(() -> master.cli("INFO", "replication")
                        .contains("connected_slaves:1"));
                try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                    producer.incr("warm", 1).join();
                    // the producer's clock a window ahead: its next call with an id names buckets Redis refuses
                    clockOf(producer).skew(config.get(TallyConfig.DEDUPE_WINDOW_MS));
                    // one pipeline: the ops stream's call (an id: refused once, then sent again) and the
                    // events stream's call (no id: no buckets, written and confirmed at once)
                    CompletableFuture<SendResult> withId = producer.send(CounterOp.incr("a", 1).withId("x"));
                    CompletableFuture<SendResult> event = producer.emit(Event.of("click", Map.of()));
                    producer.flush();

                    assertThat(admin.getStream(keys.events(0), StringCodec.INSTANCE).size())
                            .as("the event's call was written").isEqualTo(1);
                    assertThat(event).as("so the event is answered as written")
                            .succeedsWithin(Duration.ofSeconds(5)).extracting(SendResult::entryId).isNotNull();
                    assertThat(withId).succeedsWithin(Duration.ofSeconds(5));
                    assertThat(admin.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(2);
                }
            } finally {
                admin.shutdown();
            }
        }
    }

    private static DedupeClock clockOf(TallyProducer producer) throws Exception {
        Field sender = RedisTallyProducer.class.getDeclaredField("sender");
        sender.setAccessible(true);
        Field clock = SenderLoop.class.getDeclaredField("dedupeClock");
        clock.setAccessible(true);
        return (DedupeClock) clock.get(sender.get(producer));
    }
}
