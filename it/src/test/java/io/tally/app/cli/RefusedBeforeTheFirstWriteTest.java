package io.tally.app.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.processor.ProcessorListener;
import io.tally.producer.firings.FiringsConsumer;
import io.tally.producer.internal.triggers.RedisFiringsConsumer;
import io.tally.processor.internal.trigger.TimeTriggerScheduler;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.KeysScanOptions;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.RedisException;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * Redis checks a script's commands against its user's ACL as they run: a script refused a command after its first
 * write used to stop with that write made, say nothing of it, and make it again on the retry. Each script that
 * writes more than once now checks its later commands before its first write. Here the user may run a script's
 * first write but not a later one: the call writes nothing (every key of the namespace holds what it held), the
 * failure names the command as a NOPERM, and once the command is granted the same call takes effect exactly once.
 */
class RefusedBeforeTheFirstWriteTest {
    private static final Pattern TRIGGER_ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static RedisServer server;
    private RedissonClient redis;
    private String namespace;
    private Keys keys;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void open() {
        namespace = TestRedis.uniqueNamespace();
        assertThat(cli("init", "--partitions", "1").code()).isZero();
        redis = RedisClientFactory.create(config());
        keys = Namespace.keys(redis, namespace);
    }

    @AfterEach
    void close() {
        server.cli("ACL", "SETUSER", "default", "+@all");
        redis.shutdown();
    }

    @Test
    void aTimeTriggerCreatedByAUserRefusedZadd_writesNothing_thenOnceGranted() {
        assertRefusedThenOnce("zadd", () -> cli("trigger", "add", "--at", "2030-01-01T00:00:00Z", "--every", "1m"));
        assertThat(redis.getScoredSortedSet(keys.schedule(0), StringCodec.INSTANCE).size()).isEqualTo(1);
        assertThat(storedTriggers()).isEqualTo(1);
    }

    @Test
    void anEventTriggerCreatedByAUserRefusedHincrby_writesNothing_thenOnceGranted() {
        assertRefusedThenOnce("hincrby", () -> cli("trigger", "add", "--event-type", "click"));
        assertThat(redis.getMap(keys.triggers(0), StringCodec.INSTANCE).get(":count")).isEqualTo("1");
        assertThat(storedTriggers()).isEqualTo(1);
    }

    @Test
    void aCancelByAUserRefusedZrem_writesNothing_thenOnceGranted() {
        String id = triggerId(cli("trigger", "add", "--at", "2030-01-01T00:00:00Z"));
        assertRefusedThenOnce("zrem", () -> cli("trigger", "cancel", id));
        assertThat(redis.getScoredSortedSet(keys.schedule(0), StringCodec.INSTANCE).size()).isZero();
        assertThat(redis.getMap(keys.triggers(0), StringCodec.INSTANCE).get(id + ":status")).isEqualTo("canceled");
    }

    @Test
    void aReplayByAUserRefusedXdel_writesNothing_thenReplaysTheLetterOnce() {
        redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "reason", "unknown_op", "error", "written by a test", "source", "ops", "source_id", "1-0",
                "f.op", "bogus", "f.counter", "replayed")));
        assertRefusedThenOnce("xdel", () -> cli("dlq", "replay"));
        assertThat(redis.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(1);
        assertThat(redis.getStream(keys.dlq(0), StringCodec.INSTANCE).size()).isZero();
    }

    @Test
    void aTimeTriggerFiredByAProcessorRefusedXadd_staysScheduled_thenFiresOnceGranted() throws Exception {
        String id = triggerId(cli("trigger", "add", "--in", "100ms"));
        server.cli("SET", keys.lease(0), "lease-of-this-test");
        Thread.sleep(300); // due
        TimeTriggerScheduler scheduler = new TimeTriggerScheduler(redis, keys, "lease-of-this-test", 10,
                ProcessorListener.NOOP);
        scheduler.load();
        Map<String, String> before = dump();
        server.cli("ACL", "SETUSER", "default", "-xadd");

        scheduler.runIfDue(Set.of(0), p -> { });
        Throwable refused = catchThrowable(() -> scheduler.drain(p -> { }));
        assertThat(changed(before)).as("keys the refused call changed: " + refused).isEmpty();
        // the processor loop backs off on a RedisException and logs this line
        assertThat(refused).isInstanceOf(RedisException.class);
        assertThat(RedisFailures.describe(refused, config())).hasValueSatisfying(line ->
                assertThat(line).contains("may not run XADD (NOPERM)"));

        server.cli("ACL", "SETUSER", "default", "+@all");
        scheduler.runIfDue(Set.of(0), p -> { });
        assertThat(scheduler.drain(p -> { })).isEqualTo(1);
        assertThat(redis.getStream(keys.firings(0), StringCodec.INSTANCE).size()).isEqualTo(1);
        assertThat(redis.getMap(keys.triggers(0), StringCodec.INSTANCE).get(id + ":status")).isEqualTo("fired");
        scheduler.runIfDue(Set.of(0), p -> { });
        assertThat(scheduler.drain(p -> { })).isZero();
    }

    @Test
    void aFiringsConsumerRefusedXack_deadLettersNothing_thenDeadLettersThePoisonFiringOnce() throws Exception {
        redis.<String, String>getStream(keys.firings(0), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "firing_id", "t0-x:1", "trigger", "t0-x", "kind", "event", "cause", "1", "fired_at", "1700000000000")));
        server.cli("ACL", "SETUSER", "default", "-xack");
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger consumerLog = (Logger) LoggerFactory.getLogger(RedisFiringsConsumer.class);
        consumerLog.addAppender(logs);
        try (FiringsConsumer consumer = RedisFiringsConsumer.builder(redis, config(), "audit", firing -> {
            throw new IllegalStateException("poison");
        }).maxDeliveries(1).claimIdle(Duration.ofMillis(100)).start()) {
            // firings_claim.lua's XACK follows the dead letter's XADD: many claim rounds, refused before their XAUTOCLAIM
            Thread.sleep(1500);
            assertThat(consumer.failures()).as("deliveries to the handler").isEqualTo(1);
            assertThat(redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE).size()).as("dead letters").isZero();
            // one line naming the command, without Redisson's channel and command dump
            assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                    .filteredOn(w -> w.endsWith("retrying in 1 s")).isNotEmpty().allSatisfy(w -> assertThat(w).contains("may not run XACK (NOPERM)")
                            .doesNotContain("channel:").doesNotContain("RedisException"));

            server.cli("ACL", "SETUSER", "default", "+@all");
            await().atMost(Duration.ofSeconds(10)).until(() -> consumer.deadLettered() == 1);
            Thread.sleep(500);
            assertThat(redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE).size()).as("dead letters").isEqualTo(1);
            assertThat(redis.getStream(keys.firings(0), StringCodec.INSTANCE).getPendingInfo("audit").getTotal()).isZero();
        } finally {
            consumerLog.detachAppender(logs);
        }
    }

    /**
     * Runs {@code call} as a user refused {@code command}: it fails with one line naming the command and writes
     * nothing; run again with the command granted, it succeeds.
     */
    private void assertRefusedThenOnce(String command, java.util.function.Supplier<TallyCliTest.Run> call) {
        Map<String, String> before = dump();
        server.cli("ACL", "SETUSER", "default", "-" + command);
        TallyCliTest.Run refused = call.get();
        assertThat(refused.code()).as(refused.out()).isNotZero();
        assertThat(changed(before)).as("keys the refused call changed: " + refused.err()).isEmpty();
        assertThat(refused.err()).contains("may not run " + command.toUpperCase() + " (NOPERM)")
                .doesNotContain("\tat ").doesNotContain("EVALSHA");

        server.cli("ACL", "SETUSER", "default", "+@all");
        TallyCliTest.Run granted = call.get();
        assertThat(granted.code()).as(granted.err()).isZero();
    }

    /** The keys of the namespace whose DUMP is not what {@code before} holds, or which it does not hold. */
    private Set<String> changed(Map<String, String> before) {
        Map<String, String> after = dump();
        Set<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        keys.removeIf(key -> Objects.equals(before.get(key), after.get(key)));
        return keys;
    }

    /**
     * Every key of the namespace and what it holds, read so that any write changes it (not DUMP: a hash that is a
     * hash table dumps its fields in table order, which a read may change while Redis rehashes it).
     */
    private Map<String, String> dump() {
        Map<String, String> out = new TreeMap<>();
        for (String key : redis.getKeys().getKeys(KeysScanOptions.defaults().pattern(namespace + "*"))) {
            String type = server.cli("TYPE", key).strip();
            out.put(key, type + " " + switch (type) {
                case "hash" -> new TreeMap<>(redis.<String, String>getMap(key, StringCodec.INSTANCE).readAllMap()).toString();
                case "zset" -> server.cli("ZRANGE", key, "0", "-1", "WITHSCORES");
                case "stream" -> server.cli("XRANGE", key, "-", "+") + server.cli("XINFO", "GROUPS", key);
                case "string" -> server.cli("GET", key);
                default -> throw new AssertionError(key + " holds a " + type + ", which this test does not read");
            });
        }
        return out;
    }

    private long storedTriggers() {
        return redis.getMap(keys.triggers(0), StringCodec.INSTANCE).keySet().stream()
                .filter(field -> !((String) field).contains(":")).count();
    }

    private static String triggerId(TallyCliTest.Run added) {
        assertThat(added.code()).as(added.err()).isZero();
        Matcher m = TRIGGER_ID.matcher(added.out());
        assertThat(m.find()).as(added.out()).isTrue();
        return m.group(1);
    }

    private TallyConfig config() {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).set(TallyConfig.NAMESPACE, namespace).build();
    }

    private TallyCliTest.Run cli(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--redis-url";
        all[args.length + 1] = server.url();
        all[args.length + 2] = "--namespace";
        all[args.length + 3] = namespace;
        return TallyCliTest.run(all);
    }
}
