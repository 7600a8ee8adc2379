package io.tally.producer;

import io.tally.common.NamespaceMissingException;
import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.dlq.DeadLetterFilter;
import io.tally.producer.firings.FiringsConsumer;
import io.tally.producer.read.Topic;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The way in: one connection hands out each part once, on its own client, and closes them with it. */
@ExtendWith(RealRedisExtension.class)
class TallyTest {

    @Test
    void connectWaitsForTheNamespaceThenNamesIt(TestRedis redis) {
        TallyConfig config = redis.configWithoutNamespace(2).set(TallyConfig.SEND_TIMEOUT_MS, 200).build();

        assertThatThrownBy(() -> Tally.connect(config))
                .isInstanceOf(NamespaceMissingException.class)
                .hasMessageContaining("namespace '" + config.namespace() + "'");
    }

    @Test
    void handsOutEachPartOnceOnTheNamespace(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(2).build();
        try (Tally tally = Tally.connect(config)) {
            assertThat(tally.namespace()).isEqualTo(config.namespace());
            assertThat(tally.partitions()).isEqualTo(2);
            assertThat(tally.producer()).isSameAs(tally.producer());
            assertThat(tally.reader()).isSameAs(tally.reader());
            assertThat(tally.triggers()).isSameAs(tally.triggers());

            SendResult sent = tally.producer().sendAndWait(CounterOp.incr("orders", 2), Duration.ofSeconds(5));
            assertThat(sent.partition()).isEqualTo(tally.reader().partitionOf("orders"));
            assertThat(tally.reader().isApplied(sent.partition(), Topic.OPS, sent.entryId()))
                    .as("no processor runs here").isFalse();
            assertThat(tally.status().read().partitions()).hasSize(2)
                    .allSatisfy(p -> assertThat(p.owned()).isFalse());
            assertThat(tally.status().read().totalBacklog()).isEqualTo(1);

            Trigger trigger = tally.triggers().create(TriggerDefinition.event("signup").build());
            assertThat(tally.triggers().get(trigger.id())).contains(trigger);
            assertThat(tally.deadLetters().list(DeadLetterFilter.ALL, 10)).isEmpty();
        }
    }

    @Test
    void closeStopsWhatItHandedOut(TestRedis redis) {
        TallyConfig config = redis.config(2).build();
        Tally tally = Tally.connect(config);
        TallyProducer producer = tally.producer();
        FiringsConsumer consumer = tally.firings("billing", firing -> { }).consumerName("billing-1").start();
        assertThat(consumer.consumerName()).isEqualTo("billing-1");

        tally.close();
        tally.close();

        assertThatThrownBy(() -> producer.incr("orders", 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(tally::reader).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> tally.firings("billing", firing -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeClosesEveryPartThoughSomeFail_thenThrowsTheFirstFailureWithTheLaterOnesSuppressed(TestRedis redis)
            throws Exception {
        TallyConfig config = redis.config(2).build();
        try (RawRedis raw = new RawRedis(redis.url())) {
            long clientsBefore = clients(raw);
            Tally tally = Tally.connect(config);
            TallyProducer producer = tally.producer();
            producer.sendAndWait(CounterOp.incr("orders", 1), Duration.ofSeconds(5));
            RuntimeException first = new IllegalStateException("the first consumer would not stop");
            RuntimeException second = new IllegalStateException("nor would the second");
            tally.started(new UnstoppableConsumer(first));
            tally.firings("billing", firing -> { }).consumerName("billing-1").start();
            tally.started(new UnstoppableConsumer(second));
            assertThat(clients(raw)).isGreaterThan(clientsBefore);

            assertThatThrownBy(tally::close).isSameAs(first)
                    .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(second));

            // the consumer between the two, the producer and the Redis client were closed all the same
            assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                    .doesNotContain("tally-firings-billing-billing-1");
            assertThatThrownBy(() -> producer.incr("orders", 1)).isInstanceOf(IllegalStateException.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (clients(raw) > clientsBefore && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(clients(raw)).as("the Tally's connections are closed").isLessThanOrEqualTo(clientsBefore);
        }
    }

    /** Connections Redis has open (CLIENT LIST), this one included. */
    private static long clients(RawRedis raw) {
        return raw.callText("CLIENT", "LIST").lines().count();
    }

    /** A consumer whose close fails, as one whose own resources fail to close would. */
    private record UnstoppableConsumer(RuntimeException failure) implements FiringsConsumer {
        @Override
        public long handled() {
            return 0;
        }

        @Override
        public long failures() {
            return 0;
        }

        @Override
        public long deadLettered() {
            return 0;
        }

        @Override
        public String consumerName() {
            return "unstoppable";
        }

        @Override
        public void close() {
            throw failure;
        }
    }
}
