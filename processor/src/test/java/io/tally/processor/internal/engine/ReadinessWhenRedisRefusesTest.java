package io.tally.processor.internal.engine;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.RawRedis;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A processor on a Redis of its own that starts refusing writes (OOM under maxmemory, READONLY as a
 * replica): readiness turns false while it refuses, the loop backs off instead of spinning, and once
 * Redis takes writes again it is ready and applies what was written meanwhile.
 */
class ReadinessWhenRedisRefusesTest {
    private static final int P = 4;
    private TestRedis redis;
    private RedissonClient admin;
    private TallyConfig config;
    private Keys keys;
    private Processor processor;

    @BeforeEach
    void setUp() {
        redis = TestRedis.ownServer();
        admin = redis.client();
        config = redis.config(P).set(TallyConfig.TICK_MS, 50).set(TallyConfig.LEASE_TTL_MS, 3_000)
                .set(TallyConfig.IDLE_POLL_MS, 5).build();
        keys = TestRedis.keys(config);
        processor = Processor.start(config, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ready() && processor.ownedPartitions().size() == P);
    }

    @AfterEach
    void tearDown() {
        try (RawRedis raw = new RawRedis(redis.url())) {
            raw.call("CONFIG", "SET", "maxmemory", "0");
            raw.call("REPLICAOF", "NO", "ONE");
        }
        processor.close();
        admin.shutdown();
        redis.close();
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

    private static long cpuNanos(String threadName) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(threadName)) {
                total += mx.getThreadCpuTime(t.getId());
            }
        }
        return total;
    }

    private void assertLoopDoesNotSpin() throws InterruptedException {
        long before = cpuNanos("tally-processor");
        Thread.sleep(2_000);
        long used = cpuNanos("tally-processor") - before;
        assertThat(used).as("CPU ns of the processor thread over 2 s").isLessThan(400_000_000L);
    }

    @Test
    void underOom_notReady_noSpin_andReadyAndApplyingOnceMemoryIsBack() throws Exception {
        incr("before");
        await().atMost(Duration.ofSeconds(10)).until(() -> "1".equals(counter("before")));
        try (RawRedis raw = new RawRedis(redis.url())) {
            raw.call("CONFIG", "SET", "maxmemory", "1");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !processor.ready());
        assertLoopDoesNotSpin();
        assertThat(processor.ready()).isFalse();

        try (RawRedis raw = new RawRedis(redis.url())) {
            raw.call("CONFIG", "SET", "maxmemory", "0");
        }
        incr("after");
        await().atMost(Duration.ofSeconds(15)).until(() -> processor.ready() && "1".equals(counter("after")));
        assertThat(counter("before")).isEqualTo("1");
    }

    @Test
    void asAReadOnlyReplica_notReady_noSpin_andReadyAndApplyingOnceItIsAMasterAgain() throws Exception {
        try (RawRedis raw = new RawRedis(redis.url())) {
            raw.call("REPLICAOF", "127.0.0.1", "1"); // no master there: stays a replica that refuses writes
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !processor.ready());
        assertLoopDoesNotSpin();
        assertThat(processor.ready()).isFalse();

        try (RawRedis raw = new RawRedis(redis.url())) {
            raw.call("REPLICAOF", "NO", "ONE");
        }
        incr("after-replica");
        await().atMost(Duration.ofSeconds(15)).until(() -> processor.ready() && "1".equals(counter("after-replica")));
    }
}
