package io.tally.it.idempotency;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.producer.DuplicateIdConflictException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;
import io.tally.app.cli.Cli;
import io.tally.app.cli.ProducerCommands;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An operation id is scoped to its stream and routing key: one id on two counters (or event types) of
 * one partition writes both; the same id and payload again is a duplicate; another payload is a conflict.
 */
@ExtendWith(RealRedisExtension.class)
class IdempotencyScopeTest {
    private static final int P = 16;

    @Test
    void oneIdOnTwoCountersOfTheSamePartition_writesBoth(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        String[] counters = twoNamesOnOnePartition("orders");
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult first = producer.send(CounterOp.incr(counters[0], 1).withId("req-42")).join();
            SendResult second = producer.send(CounterOp.incr(counters[1], 1).withId("req-42")).join();
            assertThat(second.partition()).isEqualTo(first.partition());
            assertThat(second.duplicate()).isFalse();
            assertThat(second.entryId()).isNotEqualTo(first.entryId());
            assertThat(client.getStream(TestRedis.keys(config).ops(first.partition()), StringCodec.INSTANCE).size())
                    .isEqualTo(2);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void sameIdAndPayloadAgain_isADuplicateWithTheOriginalEntryId_whateverItsTs(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult first = producer.send(CounterOp.incr("orders", 3).withId("req-1").withTs(1000)).join();
            SendResult again = producer.send(CounterOp.incr("orders", 3).withId("req-1").withTs(2000)).join();
            assertThat(again.duplicate()).isTrue();
            assertThat(again.entryId()).isEqualTo(first.entryId());
        }
    }

    @Test
    void sameIdWithAnotherPayload_isAConflictNamingIdStreamCounterAndOriginalEntry_andWritesNothing(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        RedissonClient client = redis.client();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult first = producer.send(CounterOp.incr("orders", 3).withId("req-2")).join();
            CompletableFuture<SendResult> other = producer.send(CounterOp.incr("orders", 4).withId("req-2"));
            assertThatThrownBy(other::join).isInstanceOf(CompletionException.class).cause()
                    .isInstanceOfSatisfying(DuplicateIdConflictException.class, e -> {
                        assertThat(e.id()).isEqualTo("req-2");
                        assertThat(e.stream()).isEqualTo("ops");
                        assertThat(e.routingKey()).isEqualTo("orders");
                        assertThat(e.originalEntryId()).isEqualTo(first.entryId());
                        assertThat(e.retriable()).isFalse();
                        assertThat(e).isInstanceOf(TallyException.class)
                                .hasMessageContaining("'req-2'").hasMessageContaining("ops")
                                .hasMessageContaining("'orders'").hasMessageContaining(first.entryId());
                    });
            // a set is another payload too, even with the same number
            assertThatThrownBy(() -> producer.send(CounterOp.set("orders", 3).withId("req-2")).join())
                    .cause().isInstanceOf(DuplicateIdConflictException.class);
            assertThat(client.getStream(TestRedis.keys(config).ops(first.partition()), StringCodec.INSTANCE).size())
                    .isEqualTo(1);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void withinOnePipeline_aRepeatIsADuplicateAndAnotherPayloadAConflict(TestRedis redis) {
        TallyConfig config = redis.config(1).set(TallyConfig.PRODUCER_LINGER_MS, 200).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<SendResult>> sends = List.of(
                    producer.send(CounterOp.incr("a", 1)),
                    producer.send(CounterOp.incr("a", 2).withId("x")),
                    producer.send(CounterOp.incr("a", 2).withId("x")),
                    producer.send(CounterOp.incr("a", 5).withId("x")),
                    producer.send(CounterOp.incr("a", 6)));
            producer.flush();
            assertThat(sends.get(2).join().duplicate()).isTrue();
            assertThat(sends.get(2).join().entryId()).isEqualTo(sends.get(1).join().entryId());
            assertThatThrownBy(() -> sends.get(3).join()).cause().isInstanceOf(DuplicateIdConflictException.class);
            assertThat(sends.get(4).join().duplicate()).isFalse();
        }
    }

    @Test
    void eventIdsAreScopedByType_andParameterOrderDoesNotMakeAConflict(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        String[] types = twoNamesOnOnePartition("click");
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult first = producer.emit(new Event(types[0], ab, "ev-1", null)).join();
            SendResult otherType = producer.emit(new Event(types[1], ab, "ev-1", null)).join();
            assertThat(otherType.duplicate()).isFalse();
            assertThat(otherType.entryId()).isNotEqualTo(first.entryId());
            SendResult reordered = producer.emit(new Event(types[0], ba, "ev-1", 5L)).join();
            assertThat(reordered.duplicate()).isTrue();
            assertThat(reordered.entryId()).isEqualTo(first.entryId());
            assertThatThrownBy(() -> producer.emit(new Event(types[0], Map.of("a", "1"), "ev-1", null)).join())
                    .cause().isInstanceOfSatisfying(DuplicateIdConflictException.class, e -> {
                        assertThat(e.stream()).isEqualTo("events");
                        assertThat(e.routingKey()).isEqualTo(types[0]);
                        assertThat(e.getMessage()).contains("event type");
                    });
        }
    }

    @Test
    void cliIncrWithAReusedIdAndAnotherAmount_exits1WithOneLine(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        Map<String, String> env = Map.of("TALLY_REDIS_URL", redis.url(), "TALLY_NAMESPACE", config.namespace(),
                "TALLY_PARTITIONS", Integer.toString(P));
        assertThat(cli(env, "incr", "--id", "req-42", "orders", "2").exit).isZero();
        Run again = cli(env, "incr", "--id", "req-42", "orders", "2");
        assertThat(again.exit).isZero();
        assertThat(again.out).contains("duplicate");
        Run conflict = cli(env, "incr", "--id", "req-42", "orders", "3");
        assertThat(conflict.exit).isEqualTo(Cli.FAILURE);
        assertThat(conflict.err.strip()).doesNotContain("\n").contains("'req-42'").contains("'orders'")
                .contains("different payload");
        Run emitted = cli(env, "emit", "--id", "e-1", "click", "k=v");
        assertThat(emitted.exit).isZero();
        assertThat(cli(env, "emit", "--id", "e-1", "click", "k=w").exit).isEqualTo(Cli.FAILURE);
    }

    @Test
    void cliWithADedupeWindowShorterThanTwiceTheSendTimeout_exits2NamingBothKeys(TestRedis redis) {
        Map<String, String> env = Map.of("TALLY_REDIS_URL", redis.url(), "TALLY_DEDUPE_WINDOW_MS", "15000",
                "TALLY_SEND_TIMEOUT_MS", "10000");
        Run run = cli(env, "incr", "--id", "req-1", "orders");
        assertThat(run.exit).isEqualTo(Cli.USAGE);
        assertThat(run.err).contains("Invalid value 15000 for dedupe-window-ms").contains("send-timeout-ms (10000)");
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run cli(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Cli.commandLine(new Root(), ProducerCommands.all(), env, new PrintWriter(out, true),
                new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @CommandLine.Command(name = "tally")
    static final class Root {
    }

    /** Two names that route to the same partition at P = 16. */
    private static String[] twoNamesOnOnePartition(String base) {
        Partitioner partitioner = new Partitioner(P);
        int p = partitioner.partitionOf(base);
        for (int i = 0; ; i++) {
            String other = base + "-" + i;
            if (partitioner.partitionOf(other) == p) {
                return new String[]{base, other};
            }
        }
    }
}
