package io.tally.it.pipeline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.HotPathConnection;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.RedisSentinel;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The processor reading through Redisson ({@code hot-path-connection redisson} on a standalone Redis, and
 * Sentinel mode) judges hostile entries as the direct read path does: ids of 2^63 and more are read and
 * applied like any other, an entry of more than 1,000 fields is a dead letter however often it repeats a
 * name, and neither logs an error or a stack trace.
 */
@ExtendWith(RealRedisExtension.class)
class RedissonReadPathTest {
    /** Test-only: XADD with an explicit id and repeated fields, which Redisson's stream API cannot send. */
    private static final String RAW_XADD = "return redis.call('XADD', KEYS[1], ARGV[1], unpack(ARGV, 2))";
    private static final String TWO_TO_THE_63 = "9223372036854775808";

    @Test
    void idsOfTwoToThe63AndMoreAreAppliedOnce(TestRedis redis) {
        run(redisson(redis), (client, inspector) -> {
            String ops = inspector.keys().ops(0);
            awaitCounter(inspector, "c", 5, xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "5"));
            xadd(client, ops, TWO_TO_THE_63 + "-0", "op", "incr", "counter", "c", "by", "7");
            String next = xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "100");
            assertThat(next).isEqualTo(TWO_TO_THE_63 + "-1");
            awaitCounter(inspector, "c", 112, next);
        });
    }

    @Test
    void aSequenceOfTwoToThe63AndMoreIsAppliedOnce(TestRedis redis) {
        run(redisson(redis), (client, inspector) -> {
            String ops = inspector.keys().ops(0);
            String first = xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "5");
            awaitCounter(inspector, "c", 5, first);
            String ms = first.substring(0, first.indexOf('-'));
            xadd(client, ops, ms + "-" + TWO_TO_THE_63, "op", "incr", "counter", "c", "by", "7");
            awaitCounter(inspector, "c", 112, xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "100"));
        });
    }

    @Test
    void anEntryOf1002FieldsRepeatingOneNameIsADeadLetterEvenAloneInItsBatch(TestRedis redis) {
        run(redisson(redis), (client, inspector) -> {
            String ops = inspector.keys().ops(0);
            awaitCounter(inspector, "w", 1, xadd(client, ops, "*", "op", "incr", "counter", "w", "by", "1"));
            awaitTooManyFieldsDeadLetter(client, inspector, ops);
        });
    }

    @Test
    void throughSentinels_bothAreJudgedAsOnTheDirectPath() {
        RedisServer.requireAvailable();
        try (RedisSentinel sentinel = RedisSentinel.start()) {
            run(sentinel.config(1).build(), (client, inspector) -> {
                String ops = inspector.keys().ops(0);
                awaitCounter(inspector, "c", 5, xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "5"));
                xadd(client, ops, TWO_TO_THE_63 + "-0", "op", "incr", "counter", "c", "by", "7");
                awaitCounter(inspector, "c", 112, xadd(client, ops, "*", "op", "incr", "counter", "c", "by", "100"));
                awaitTooManyFieldsDeadLetter(client, inspector, ops);
            });
        }
    }

    private static TallyConfig redisson(TestRedis redis) {
        return redis.config(1).set(TallyConfig.HOT_PATH_CONNECTION, HotPathConnection.REDISSON).build();
    }

    private interface Scenario {
        void run(RedissonClient client, PipelineInspector inspector);
    }

    /** Runs a scenario against a processor of one partition; nothing it logs meanwhile may be an error or carry a stack trace. */
    private static void run(TallyConfig config, Scenario scenario) {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        RedissonClient client = RedisClientFactory.create(config);
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP)) {
            root.addAppender(logs);
            scenario.run(client, new PipelineInspector(client, config.namespace(), 1));
            assertThat(processor.ready()).isTrue();
        } finally {
            root.detachAppender(logs);
            client.shutdown();
        }
        assertThat(logs.list).as("errors or stack traces logged")
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR) || e.getThrowableProxy() != null)
                .extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    /**
     * {@code op incr counter d by 1} and {@code x 1} 999 times: 1,002 fields, a dead letter (too_many_fields)
     * that leaves d alone; the entry after it is applied.
     */
    private static void awaitTooManyFieldsDeadLetter(RedissonClient client, PipelineInspector inspector, String ops) {
        List<String> fields = new ArrayList<>(List.of("op", "incr", "counter", "d", "by", "1"));
        for (int i = 0; i < 999; i++) {
            fields.add("x");
            fields.add("1");
        }
        String hostile = xadd(client, ops, "*", fields.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(inspector.deadLetters(0))
                .extracting(d -> d.get("reason") + " " + d.get("source_id")).containsExactly("too_many_fields " + hostile));
        awaitCounter(inspector, "d", 2, xadd(client, ops, "*", "op", "incr", "counter", "d", "by", "2"));
    }

    /** Waits until the counter is {@code expected} and the checkpoint at {@code lastId}, then checks nothing is pending. */
    private static void awaitCounter(PipelineInspector inspector, String counter, long expected, String lastId) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(inspector.counter(counter, 0)).as(counter).isEqualTo(expected);
            assertThat(inspector.checkpointMismatches()).isEmpty();
        });
        assertThat(inspector.streamInfo(inspector.keys().ops(0))).containsEntry("last-generated-id", lastId);
        assertThat(inspector.pending()).isZero();
    }

    /** XADD as another program would; returns the entry's id. */
    private static String xadd(RedissonClient client, String stream, String id, String... fields) {
        Object[] args = new Object[fields.length + 1];
        args[0] = id;
        System.arraycopy(fields, 0, args, 1, fields.length);
        return client.getScript(StringCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, RAW_XADD,
                RScript.ReturnType.VALUE, List.of(stream), args);
    }
}
