package io.tally.processor.badinput;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.engine.ProcessorLoop;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A running processor next to another program that writes garbage into the keys ownership runs on: the
 * namespace's meta, a partition's lease key, the membership set. The processor's thread goes on, keeps
 * applying the partitions it can, and its readiness says whether it does.
 */
@ExtendWith(RealRedisExtension.class)
class ForeignOwnershipStateTest {
    private static final int P = 4;
    private TestRedis redis;
    private RedissonClient admin;
    private TallyConfig config;
    private Keys keys;
    private Processor processor;

    @BeforeEach
    void setUp(TestRedis redis) {
        this.redis = redis;
        admin = redis.client();
        config = redis.config(P).set(TallyConfig.TICK_MS, 50).set(TallyConfig.LEASE_TTL_MS, 3_000)
                .set(TallyConfig.IDLE_POLL_MS, 5).build();
        keys = TestRedis.keys(config);
    }

    @AfterEach
    void tearDown() {
        if (processor != null) {
            processor.close();
        }
        admin.getKeys().deleteByPattern(config.namespace() + ":*");
        admin.shutdown();
    }

    private void start() {
        processor = Processor.start(config, ProcessorListener.NOOP);
    }

    private void incr(String counter) {
        int p = new Partitioner(P).partitionOf(counter);
        admin.getScript(StringCodec.INSTANCE).eval(keys.ops(p), RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], '*', 'op', 'incr', 'counter', ARGV[1], 'by', '1')",
                RScript.ReturnType.VALUE, List.of(keys.ops(p)), counter);
    }

    private String counter(String name) {
        int p = new Partitioner(P).partitionOf(name);
        return admin.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).get(name);
    }

    private static String counterOn(int partition) {
        Partitioner partitioner = new Partitioner(P);
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("c" + i) == partition) {
                return "c" + i;
            }
        }
    }

    @Test
    void aPartitionCountInMetaThatIsNoCount_isRestored_andTheProcessorGoesOnApplying() {
        start();
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P && processor.ready());
        for (String garbage : new String[] {"sixteen", "2000000000"}) {
            admin.getMap(keys.meta(), StringCodec.INSTANCE).put("partitions", garbage);

            await().atMost(Duration.ofSeconds(10)).until(() -> "4".equals(
                    admin.<String, String>getMap(keys.meta(), StringCodec.INSTANCE).get("partitions")));
        }
        incr("after-garbage");
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter("after-garbage")));
        assertThat(processor.ready()).isTrue();
    }

    @Test
    void aMetaOfAnotherType_isRestored_andTheProcessorGoesOnApplying() {
        start();
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P && processor.ready());
        admin.getBucket(keys.meta(), StringCodec.INSTANCE).set("not a hash");

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> "4".equals(
                admin.<String, String>getMap(keys.meta(), StringCodec.INSTANCE).get("partitions")));
        incr("after-meta-type");
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter("after-meta-type")));
        await().atMost(Duration.ofSeconds(10)).until(processor::ready);
    }

    @Test
    void anInputStreamOfAnotherType_stopsOnlyItsPartition_theOthersGoOnApplying() {
        start();
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P && processor.ready());
        admin.getKeys().delete(keys.events(2));
        admin.getBucket(keys.events(2), StringCodec.INSTANCE).set("not a stream");

        String onZero = counterOn(0);
        incr(onZero);
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter(onZero)));
        assertThat(processor.ownedPartitions()).containsExactly(0, 1, 2, 3);
    }

    @Test
    void anInputStreamOfAnotherType_haltsItsPartitionAsRefused_withBackOff_notAnErrorLineEveryFewMs() throws Exception {
        start();
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P && processor.ready());
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try {
            admin.getKeys().delete(keys.events(2));
            admin.getBucket(keys.events(2), StringCodec.INSTANCE).set("not a stream");
            Thread.sleep(3_000);
        } finally {
            root.detachAppender(logs);
        }

        long complaints = logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .count();
        assertThat(processor.haltedPartitions()).containsKey(2);
        assertThat(complaints).as("WARN/ERROR lines in 3 s").isLessThan(30);
        assertThat(processor.haltedPartitions().get(2).reason()).isEqualTo("redis_refused");
    }

    @Test
    void aProcessorStartsNextToAnInputStreamOfAnotherType_andAppliesTheOtherPartitions() {
        admin.getBucket(keys.events(2), StringCodec.INSTANCE).set("not a stream");
        start();

        String onZero = counterOn(0);
        incr(onZero);
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter(onZero)));
    }

    @Test
    void anUnexpectedFailureInTheLoop_isRetried_notTheEndOfTheThreadWhileReadinessStaysTrue() {
        // A listener breaking its contract once: the loop must survive it like any failure it did not foresee.
        AtomicBoolean thrown = new AtomicBoolean();
        processor = Processor.start(config, new ProcessorListener() {
            @Override
            public void partitionsOwned(int count) {
                if (count == P && thrown.compareAndSet(false, true)) {
                    throw new IllegalArgumentException("listener bug");
                }
            }
        });
        await().atMost(Duration.ofSeconds(20)).until(thrown::get);

        incr("after-failure");
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter("after-failure")));
        await().atMost(Duration.ofSeconds(10)).until(processor::ready);
    }

    @Test
    void aLeaseKeyOfAnotherType_isTakenOver_andTheOtherPartitionsAreApplied() {
        admin.getMap(keys.lease(2), StringCodec.INSTANCE).put("owner", "someone");
        start();

        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P);
        assertThat(admin.getBucket(keys.lease(2), StringCodec.INSTANCE).get()).isEqualTo(processor.instanceId());
        String onZero = counterOn(0);
        String onTwo = counterOn(2);
        incr(onZero);
        incr(onTwo);
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter(onZero)) && "1".equals(counter(onTwo)));
        assertThat(processor.ready()).isTrue();
    }

    /**
     * A lease key made another type under a running processor: the fence of every partition script reads it as
     * nobody's lease (LEASE_LOST, as lease.lua reads it), so that partition is handed back and taken over; no
     * WRONGTYPE pauses the processor, its readiness does not flap, and the other partitions go on.
     */
    @Test
    void aLeaseKeyMadeAnotherTypeWhileRunning_isALostLease_notAPauseOfEveryPartition() throws Exception {
        // the default tick and lease TTL: time triggers (every 50 ms) and housekeeping meet the key before a tick does
        config = redis.config(P).set(TallyConfig.IDLE_POLL_MS, 5).build();
        keys = TestRedis.keys(config);
        start();
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P && processor.ready());
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        AtomicBoolean everNotReady = new AtomicBoolean();
        String onOne = counterOn(1);
        try {
            admin.getKeys().delete(keys.lease(0));
            admin.getList(keys.lease(0), StringCodec.INSTANCE).add("junk"); // another program's
            incr(onOne);
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < end) {
                everNotReady.compareAndSet(false, !processor.ready());
                Thread.sleep(10);
            }
        } finally {
            root.detachAppender(logs);
        }

        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("WRONGTYPE"));
        assertThat(everNotReady).as("readiness never dropped").isFalse();
        assertThat(counter(onOne)).isEqualTo("1");
        await().atMost(Duration.ofSeconds(10)).until(() -> processor.instanceId().equals(
                admin.getBucket(keys.lease(0), StringCodec.INSTANCE).get()));
        String onZero = counterOn(0);
        incr(onZero);
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter(onZero)));
    }

    @Test
    void aMembersKeyOfAnotherType_isReplaced_andThePartitionsAreApplied() {
        admin.getBucket(keys.members(), StringCodec.INSTANCE).set("not a sorted set");
        start();

        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P);
        incr("members-replaced");
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter("members-replaced")));
        assertThat(processor.ready()).isTrue();
        assertThat(admin.getScoredSortedSet(keys.members(), StringCodec.INSTANCE).readAll())
                .containsExactly(processor.instanceId());
    }

    @Test
    void aForeignLeaseValueWithALineBreakAndAMegabyte_isTakenOver_andLoggedShortOnOneLine() {
        String forged = "ghost:1\n2026-12-07 07:00:00.000 ERROR forged log line " + "x".repeat(1 << 20);
        admin.getBucket(keys.lease(1), StringCodec.INSTANCE).set(forged);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger loop = (Logger) LoggerFactory.getLogger(ProcessorLoop.class);
        loop.addAppender(logs);
        try {
            start();
            await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P);
        } finally {
            loop.detachAppender(logs);
        }

        List<String> takeOvers = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.startsWith("took over")).toList();
        assertThat(takeOvers).hasSize(1);
        assertThat(takeOvers.get(0)).doesNotContain("\n").hasSizeLessThan(1_000).contains("ghost:1?2026");
    }

    @Test
    void fiftyThousandMembersScoredInTheFuture_withControlCharactersAndAHugeName_areDroppedAtOnce() {
        admin.getScript(StringCodec.INSTANCE).eval(keys.members(), RScript.Mode.READ_WRITE, """
                for i = 1, 50000 do redis.call('ZADD', KEYS[1], '+inf', 'ghost\\n\\27[31m' .. i) end
                return redis.call('ZADD', KEYS[1], '9e15', string.rep('g', 1048576))""", RScript.ReturnType.VALUE,
                List.of(keys.members()));
        start();

        await().atMost(Duration.ofSeconds(5)).until(() -> processor.ownedPartitions().equals(Set.of(0, 1, 2, 3)));
        assertThat(admin.getScoredSortedSet(keys.members(), StringCodec.INSTANCE).readAll())
                .containsExactly(processor.instanceId());
        assertThat(processor.ready()).isTrue();
    }

    @Test
    void aMemberScoredInTheFuture_isNotLiveForever_soItsPartitionsAreApplied() {
        // Another program's member with a heartbeat far ahead of Redis time: no real heartbeat has one.
        admin.getScript(StringCodec.INSTANCE).eval(keys.members(), RScript.Mode.READ_WRITE,
                "return redis.call('ZADD', KEYS[1], '9e15', 'ghost', '+inf', 'ghost-inf')", RScript.ReturnType.VALUE,
                List.of(keys.members()));
        start();

        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().equals(Set.of(0, 1, 2, 3)));
        assertThat(admin.getScoredSortedSet(keys.members(), StringCodec.INSTANCE).readAll())
                .containsExactly(processor.instanceId());
    }
}
