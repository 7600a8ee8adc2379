package io.tally.it.resilience;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.model.CounterOp;
import io.tally.common.model.OpKind;
import io.tally.it.resilience.RedisRestartTest.AdminClient;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A running processor whose Redis user loses a command an apply script calls. The scripts check every
 * command they write with before their first write, and a denied read fails before it too, so the batch
 * is refused whole: nothing is applied, nothing is dead-lettered (a denied read is never taken for a bad
 * key or entry), the processor logs the refusal and backs off, and once the user is granted the command
 * every counter is exact.
 */
class ProcessorDeniedCommandTest {
    private static final Duration SEND = Duration.ofSeconds(5);
    private static final int FAST_PATH_OFF = 1000;
    private static final int FAST_PATH_ON = 1;
    private static final BiConsumer<RedissonClient, Keys> NOTHING = (redis, keys) -> { };

    @TempDir
    Path tmp;
    /** The processor's WARN lines and more: what it told of the refusals. */
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    /** The processor's failed apply calls, by reason. */
    private final List<String> failures = new CopyOnWriteArrayList<>();

    /** PFADD comes after the batch's increments: before the check, each retry applied them again. */
    @Test
    void pfaddForAUniqueEntryAfterIncrements() throws Exception {
        Outcome out = run("pfadd", FAST_PATH_OFF, NOTHING,
                List.of(CounterOp.incr("c1", 1), CounterOp.unique("c2", "alice"), CounterOp.incr("c3", 1)));
        assertThat(out.counters).isEqualTo(Map.of("c1", "1", "c3", "1"));
        assertThat(out.unique("c2")).isEqualTo(1);
        assertThat(out.warnings).anySatisfy(w -> assertThat(w).contains("may not run the 'pfadd' command"));
    }

    /** The fast path's XACK comes after the counters and the checkpoint. */
    @Test
    void xackOnTheFastPath() throws Exception {
        Outcome out = run("xack", FAST_PATH_ON, NOTHING,
                List.of(CounterOp.incr("c1", 1), CounterOp.incr("c1", 2), CounterOp.incr("c3", 1)));
        assertThat(out.counters).isEqualTo(Map.of("c1", "3", "c3", "1"));
        assertThat(out.warnings).anySatisfy(w -> assertThat(w).contains("may not run the 'xack' command"));
    }

    /** An index entry listing only a trigger no longer active is pruned (HDEL) after the checkpoint. */
    @Test
    void hdelOfAStaleTriggerIndexEntry() throws Exception {
        Outcome out = run("hdel", FAST_PATH_OFF,
                (redis, keys) -> redis.getMap(keys.triggersByCounter(0), StringCodec.INSTANCE).put("c1", "t-gone"),
                List.of(CounterOp.incr("c1", 1)));
        assertThat(out.counters).isEqualTo(Map.of("c1", "1"));
        assertThat(out.warnings).anySatisfy(w -> assertThat(w).contains("may not run the 'hdel' command"));
    }

    /** The HyperLogLog check's STRLEN, under pcall: a denial there once made a valid entry a not_hll dead letter. */
    @Test
    void strlenReadBeforeAUniqueEntry() throws Exception {
        Outcome out = run("strlen", FAST_PATH_OFF, NOTHING, List.of(CounterOp.unique("c2", "alice")));
        assertThat(out.unique("c2")).isEqualTo(1);
        assertThat(out.warnings).anySatisfy(w -> assertThat(w).contains("ACL LOG names the command"));
    }

    /** The check's PFCOUNT of a sparse HyperLogLog, under pcall too. */
    @Test
    void pfcountReadOfASparseHyperLogLog() throws Exception {
        Outcome out = run("pfcount", FAST_PATH_OFF,
                (redis, keys) -> redis.getHyperLogLog(keys.hll(0, "c2"), StringCodec.INSTANCE).add("bob"),
                List.of(CounterOp.unique("c2", "alice")));
        assertThat(out.unique("c2")).isEqualTo(2);
    }

    /**
     * HMGET, which the round itself reads with, lost while the processor runs (denied it, a processor cannot
     * start): the round pauses before any apply script (which reads the counters with it, and once took the
     * denial for a key of another type, BADKEY).
     */
    @Test
    void hmget() throws Exception {
        Outcome out = run("hmget", FAST_PATH_ON, NOTHING, List.of(CounterOp.incr("c1", 1)), true);
        assertThat(out.counters).isEqualTo(Map.of("c1", "1"));
        assertThat(out.warnings).noneSatisfy(w -> assertThat(w).contains("BADKEY"))
                .anySatisfy(w -> assertThat(w).contains("may not run HMGET (NOPERM)"));
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /** WARN lines of a refused apply call or round (a denied HMGET stops the round before any apply script). */
    private long refusalsLogged() {
        return warnings().stream().filter(w -> w.contains("NOPERM") || w.contains("can't run this command")).count();
    }

    /** What a run left once the command was granted, and the processor's WARN lines while it was denied. */
    private record Outcome(Map<String, String> counters, Map<String, Long> uniques, List<String> warnings) {
        long unique(String counter) {
            return uniques.get(counter);
        }
    }

    private Outcome run(String denied, int fastPathMinRead, BiConsumer<RedissonClient, Keys> prepare,
                        List<CounterOp> ops) throws Exception {
        return run(denied, fastPathMinRead, prepare, ops, false);
    }

    /**
     * Runs {@code ops} through a processor denied {@code denied}: from its start, the ops already in the stream,
     * or once it runs ({@code whileRunning}), then grants it again.
     */
    private Outcome run(String denied, int fastPathMinRead, BiConsumer<RedissonClient, Keys> prepare,
                        List<CounterOp> ops, boolean whileRunning) throws Exception {
        RedisServer.requireAvailable();
        logs.start();
        Logger tallyLog = (Logger) LoggerFactory.getLogger("io.tally");
        tallyLog.addAppender(logs);
        ProcessorListener listener = new ProcessorListener() {
            @Override
            public void applyFailure(String reason) {
                failures.add(reason);
            }
        };
        try (RedisServer server = RedisServer.start()) {
            assertThat(server.cli("ACL", "SETUSER", "proc", "on", ">proc-secret", "~*", "&*", "+@all")).isEqualTo("OK");
            Path password = Files.writeString(tmp.resolve("proc.pass"), "proc-secret\n");
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
            TallyConfig producerConfig = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, 1).build();
            TallyConfig processorConfig = producerConfig.toBuilder()
                    .set(TallyConfig.REDIS_URL, "redis://proc@127.0.0.1:" + server.port())
                    .set(TallyConfig.REDIS_PASSWORD_FILE, password.toString())
                    .set(TallyConfig.FAST_PATH_MIN_READ, fastPathMinRead).build();
            Keys keys;
            try (AdminClient admin = new AdminClient(server)) {
                Namespace.create(admin.redis, producerConfig); // as `tally init` would
                keys = TestRedis.keys(producerConfig);
                prepare.accept(admin.redis, keys);
            }
            try (AdminClient admin = new AdminClient(server);
                 TallyProducer producer = RedisTallyProducer.create(producerConfig, ProducerMetrics.NOOP)) {
                if (!whileRunning) {
                    // the whole batch is in the stream before the processor reads it
                    assertThat(server.cli("ACL", "SETUSER", "proc", "-" + denied)).isEqualTo("OK");
                    for (CounterOp op : ops) {
                        producer.sendAndWait(op, SEND);
                    }
                }
                try (Processor processor = Processor.start(processorConfig, listener)) {
                    return deniedThenGranted(server, admin, producer, processor, keys, denied, ops, whileRunning);
                }
            }
        } finally {
            tallyLog.detachAppender(logs);
        }
    }

    private Outcome deniedThenGranted(RedisServer server, AdminClient admin, TallyProducer producer,
                                      Processor processor, Keys keys, String denied, List<CounterOp> ops,
                                      boolean whileRunning) throws Exception {
        if (whileRunning) {
            await().atMost(Duration.ofSeconds(10)).until(processor::ready);
            assertThat(server.cli("ACL", "SETUSER", "proc", "-" + denied)).isEqualTo("OK");
            for (CounterOp op : ops) {
                producer.sendAndWait(op, SEND);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> refusalsLogged() >= 2);
        Pause.ms(500);
        assertThat(failures).as("every failed call is Redis's refusal, never the entry's fault")
                .doesNotContain("script_error");
        assertThat(admin.redis.getMap(keys.counters(0), StringCodec.INSTANCE).readAllMap())
                .as("counters while %s is denied", denied).isEmpty();
        assertThat(admin.redis.getMap(keys.checkpoint(0), StringCodec.INSTANCE).readAllMap()).isEmpty();
        assertThat(admin.redis.getStream(keys.dlq(0)).size()).isZero();
        List<String> warnings = warnings();

        assertThat(server.cli("ACL", "SETUSER", "proc", "+" + denied)).isEqualTo("OK");
        await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, 1) == 0);
        assertThat(admin.redis.getStream(keys.dlq(0)).size()).as("dead letters").isZero();
        Map<String, Long> uniques = new HashMap<>();
        for (CounterOp op : ops) {
            if (op.kind() == OpKind.UNIQUE) {
                uniques.put(op.counter(), admin.redis.getHyperLogLog(keys.hll(0, op.counter()),
                        StringCodec.INSTANCE).count());
            }
        }
        return new Outcome(admin.redis.<String, String>getMap(keys.counters(0), StringCodec.INSTANCE)
                .readAllMap(), uniques, warnings);
    }
}
