package io.tally.it.resilience;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review: a processor user denied a command apply.lua only reads with under pcall (hll_problem's STRLEN
 * and PFCOUNT) must not turn a valid unique entry into a not_hll dead letter.
 */
class ProcessorDeniedReadTest {
    @TempDir
    Path tmp;

    @Test
    void strlenDeniedDoesNotDeadLetterAUniqueEntry() throws Exception {
        run("strlen", false);
    }

    @Test
    void pfcountDeniedDoesNotDeadLetterAUniqueEntryOfASparseHll() throws Exception {
        run("pfcount", true);
    }

    /**
     * An index entry listing only a trigger that is no longer active (stale) is pruned by save_triggers
     * (HDEL) after the checkpoint and XACK; the ACL check block asks about index writes only when an active
     * trigger was loaded.
     */
    @Test
    void staleIndexEntryPrunedWhenHdelIsDenied() throws Exception {
        RedisServer.requireAvailable();
        List<String> failures = new CopyOnWriteArrayList<>();
        ProcessorListener listener = new ProcessorListener() {
            @Override
            public void applyFailure(String reason) {
                failures.add(reason);
            }
        };
        try (RedisServer server = RedisServer.start()) {
            assertThat(server.cli("ACL", "SETUSER", "proc", "on", ">proc-secret", "~*", "&*", "+@all", "-hdel"))
                    .isEqualTo("OK");
            Path password = Files.writeString(tmp.resolve("proc.pass"), "proc-secret\n");
            Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
            TallyConfig producerConfig = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, 1).build();
            TallyConfig processorConfig = producerConfig.toBuilder()
                    .set(TallyConfig.REDIS_URL, "redis://proc@127.0.0.1:" + server.port())
                    .set(TallyConfig.REDIS_PASSWORD_FILE, password.toString()).build();
            Keys keys;
            try (AdminClient admin = new AdminClient(server)) {
                Namespace.create(admin.redis, producerConfig);
                keys = TestRedis.keys(producerConfig);
                admin.redis.getMap(keys.triggersByCounter(0), StringCodec.INSTANCE).put("c1", "t-gone");
            }
            try (TallyProducer producer = RedisTallyProducer.create(producerConfig, ProducerMetrics.NOOP)) {
                producer.sendAndWait(CounterOp.incr("c1", 1), Duration.ofSeconds(5));
            }
            try (AdminClient admin = new AdminClient(server);
                 Processor processor = Processor.start(processorConfig, listener)) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !failures.isEmpty() || Backlog.total(admin.redis, keys, 1) == 0);
                Pause.ms(500);
                assertThat(admin.redis.getMap(keys.counters(0), StringCodec.INSTANCE).readAllMap())
                        .as("counters while hdel is denied (failures %s)", failures).isEmpty();
            }
        }
    }

    private void run(String denied, boolean hllExists) throws Exception {
        RedisServer.requireAvailable();
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
                    .set(TallyConfig.REDIS_PASSWORD_FILE, password.toString()).build();
            Keys keys;
            try (AdminClient admin = new AdminClient(server)) {
                Namespace.create(admin.redis, producerConfig);
                keys = TestRedis.keys(producerConfig);
                if (hllExists) {
                    admin.redis.getHyperLogLog(keys.hll(0, "c2"), StringCodec.INSTANCE).add("bob"); // sparse
                }
            }
            try (TallyProducer producer = RedisTallyProducer.create(producerConfig, ProducerMetrics.NOOP)) {
                producer.sendAndWait(CounterOp.unique("c2", "alice"), Duration.ofSeconds(5));
            }
            try (AdminClient admin = new AdminClient(server);
                 Processor processor = Processor.start(processorConfig, listener)) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> failures.size() >= 2 || Backlog.total(admin.redis, keys, 1) == 0);
                Pause.ms(500);
                assertThat(admin.redis.getStream(keys.dlq(0)).size())
                        .as("dead letters with %s denied (failures %s)", denied, failures).isZero();
                assertThat(server.cli("ACL", "SETUSER", "proc", "+" + denied)).isEqualTo("OK");
                await().atMost(Duration.ofSeconds(30)).until(() -> Backlog.total(admin.redis, keys, 1) == 0);
                assertThat(admin.redis.getHyperLogLog(keys.hll(0, "c2"), StringCodec.INSTANCE).count())
                        .isEqualTo(hllExists ? 2 : 1);
                assertThat(admin.redis.getStream(keys.dlq(0)).size()).isZero();
            }
        }
    }
}
