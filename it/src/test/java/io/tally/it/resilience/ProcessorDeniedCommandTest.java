package io.tally.it.resilience;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.model.CounterOp;
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
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A processor whose Redis user may not run a command an apply script writes with, met late in a batch
 * (PFADD for a {@code unique} entry after the batch's increments; XACK after the checkpoint). The scripts
 * check every command they write with before their first write, so the batch is refused whole: nothing is
 * applied, nothing is dead-lettered, the processor logs the command and backs off, and once the user is
 * granted it every counter is exact.
 */
class ProcessorDeniedCommandTest {
    private static final Duration SEND = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    @Test
    void aUniqueEntryAfterIncrementsWhenPfaddIsDenied() throws Exception {
        run("pfadd", 1000, List.of(CounterOp.incr("c1", 1), CounterOp.unique("c2", "alice"), CounterOp.incr("c3", 1)),
                Map.of("c1", "1", "c3", "1"));
    }

    @Test
    void theFastPathWhenXackIsDenied() throws Exception {
        run("xack", 1, List.of(CounterOp.incr("c1", 1), CounterOp.incr("c1", 2), CounterOp.incr("c3", 1)),
                Map.of("c1", "3", "c3", "1"));
    }

    private void run(String denied, int fastPathMinRead, List<CounterOp> ops, Map<String, String> expected)
            throws Exception {
        RedisServer.requireAvailable();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger("io.tally");
        root.addAppender(logs);
        List<String> failures = new CopyOnWriteArrayList<>();
        ProcessorListener listener = new ProcessorListener() {
            @Override
            public void applyFailure(String reason) {
                failures.add(reason);
            }
        };
        try (RedisServer server = RedisServer.start()) {
            assertThat(server.cli("ACL", "SETUSER", "proc", "on", ">proc-secret", "~*", "&*", "+@all", "-" + denied))
                    .isEqualTo("OK");
            Path password = Files.writeString(tmp.resolve("proc.pass"), "proc-secret\n");
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
            TallyConfig producerConfig = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, 1).build();
            TallyConfig processorConfig = producerConfig.toBuilder()
                    .set(TallyConfig.REDIS_URL, "redis://proc@127.0.0.1:" + server.port())
                    .set(TallyConfig.REDIS_PASSWORD_FILE, password.toString())
                    .set(TallyConfig.FAST_PATH_MIN_READ, fastPathMinRead).build();
            try (AdminClient admin = new AdminClient(server)) {
                Namespace.create(admin.redis, producerConfig); // as `tally init` would
            }
            try (TallyProducer producer = RedisTallyProducer.create(producerConfig, ProducerMetrics.NOOP)) {
                for (CounterOp op : ops) {
                    producer.sendAndWait(op, SEND);
                }
            }
            Keys keys = TestRedis.keys(producerConfig);
            try (AdminClient admin = new AdminClient(server);
                 Processor processor = Processor.start(processorConfig, listener)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> failures.size() >= 2);
                Pause.ms(500);
                assertThat(failures).as("every failed call is Redis's refusal, never the entry's fault")
                        .containsOnly("redis_refused");
                assertThat(admin.redis.getMap(keys.counters(0), StringCodec.INSTANCE).readAllMap())
                        .as("counters while %s is denied", denied).isEmpty();
                assertThat(admin.redis.getMap(keys.checkpoint(0), StringCodec.INSTANCE).readAllMap()).isEmpty();
                assertThat(admin.redis.getStream(keys.dlq(0)).size()).isZero();
                assertThat(warnings(logs)).as("the processor's log names the denied command")
                        .anySatisfy(w -> assertThat(w).contains("may not run the '" + denied + "' command"));

                assertThat(server.cli("ACL", "SETUSER", "proc", "+" + denied)).isEqualTo("OK");
                await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, 1) == 0);
                assertThat(admin.redis.getMap(keys.counters(0), StringCodec.INSTANCE).readAllMap()).isEqualTo(expected);
                assertThat(admin.redis.getStream(keys.dlq(0)).size()).isZero();
                if (denied.equals("pfadd")) {
                    assertThat(admin.redis.getHyperLogLog(keys.hll(0, "c2"), StringCodec.INSTANCE).count()).isEqualTo(1);
                }
            }
        } finally {
            root.detachAppender(logs);
        }
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> logs) {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
