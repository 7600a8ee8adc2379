package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.model.CounterOp;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisLoadingException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The producer against a real Redis that answers but refuses or holds its writes: paused for writes
 * (CLIENT PAUSE WRITE), busy with a long script (BUSY), a read-only replica (READONLY), a user denied a
 * command (NOPERM). Each send ends within send-timeout-ms with an outcome that tells the truth (not
 * written: retriable or not; maybe written: outcome unknown, or retriable with its id), names what Redis
 * said, and is counted in {@code tally_producer_send_failures_total} under its reason.
 */
class RedisRefusalsTest {
    private static final long SEND_TIMEOUT_MS = 2000;
    /** Room beyond send-timeout-ms for a loaded 2-core machine. */
    private static final long SLACK_MS = 1500;

    private final ConcurrentLinkedQueue<String> reasons = new ConcurrentLinkedQueue<>();
    private final ProducerMetrics metrics = new ProducerMetrics() {
        @Override
        public void failed(String topic, String reason) {
            reasons.add(reason);
        }
    };
    private RedisServer server;
    private RedissonClient client;
    private TallyConfig config;
    private TallyProducer producer;

    @BeforeEach
    void start() {
        server = RedisServer.start();
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).set(TallyConfig.NAMESPACE, "refusals")
                .set(TallyConfig.PARTITIONS, 2).set(TallyConfig.SEND_TIMEOUT_MS, SEND_TIMEOUT_MS).build();
        client = RedisClientFactory.create(config);
        Namespace.create(client, config); // as `tally init` would
        producer = RedisTallyProducer.create(config, metrics);
        assertThat(producer.incr("warm", 1).join().entryId()).isNotEmpty();
    }

    @AfterEach
    void stop() {
        producer.close();
        client.shutdown();
        server.close();
    }

    @Test
    void pausedForWrites_sendsEndWithinSendTimeout_plainOutcomeUnknown_withIdRetriable_andTheRetryIsWrittenOnce() {
        server.cli("CLIENT", "PAUSE", "60000", "WRITE");
        long t0 = System.nanoTime();
        CompletableFuture<SendResult> plain = producer.incr("paused", 1);
        CompletableFuture<SendResult> withId = producer.send(CounterOp.incr("paused", 1).withId("op-paused"));
        Throwable plainFailure = failure(plain);
        Throwable idFailure = failure(withId);
        assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
        // the call left and got no reply: it may have been written
        assertThat(plainFailure).isInstanceOf(OutcomeUnknownException.class);
        assertThat(idFailure).isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.retriable()).isTrue();
            assertThat(e.maybeWritten()).isTrue();
        });
        assertThat(reasons).containsExactly("timeout", "timeout");

        server.cli("CLIENT", "UNPAUSE");
        SendResult again = producer.send(CounterOp.incr("paused", 1).withId("op-paused")).join();
        assertThat(again.entryId()).isNotEmpty();
        // warm, the retried id once, and the plain send at most once
        assertThat(entries()).isBetween(2L, 3L);
    }

    @Test
    void busyWithAScript_sendsFailRetriableWithinSendTimeout_namingBusy_andWriteNothing() throws Exception {
        server.cli("CONFIG", "SET", "busy-reply-threshold", "100");
        Thread script = new Thread(() -> server.cli("EVAL", "local t = redis.call('TIME') while true do "
                + "local n = redis.call('TIME') if n[1] - t[1] > 4 then break end end return 1", "0"));
        script.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.cli("PING").startsWith("BUSY"));
        long t0 = System.nanoTime();
        CompletableFuture<SendResult> plainSend = producer.incr("busy", 1);
        CompletableFuture<SendResult> idSend = producer.send(CounterOp.incr("busy", 1).withId("op-busy"));
        Throwable plain = failure(plainSend);
        Throwable withId = failure(idSend);
        assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
        for (Throwable f : List.of(plain, withId)) {
            assertThat(f).isInstanceOfSatisfying(SendFailedException.class, e -> {
                assertThat(e.retriable()).isTrue();
                assertThat(e.maybeWritten()).isFalse();
            }).hasRootCauseInstanceOf(RedisBusyException.class);
        }
        assertThat(reasons).containsExactly("busy", "busy");
        script.join();
        assertThat(entries()).isEqualTo(1);
        assertThat(producer.incr("busy", 1).join().entryId()).isNotEmpty();
    }

    @Test
    void aDemotedMasterBehindThisProducer_sendsWaitingForANewSessionFailRetriable_namingReadonly() {
        // A failover as a producer sees it through a fixed address: the master it wrote to comes back as a
        // replica of the promoted one, whose copy missed its last sends. The stream's session is behind
        // (SEQGAP), so the stream needs a new session, and the replica refuses to begin one.
        try (RedisServer promoted = RedisServer.start()) {
            List<String> keys = List.of(server.cli("KEYS", "refusals*").split("\n"));
            List<String> migrate = new java.util.ArrayList<>(List.of("MIGRATE", "127.0.0.1",
                    Integer.toString(promoted.port()), "", "0", "5000", "COPY", "KEYS"));
            migrate.addAll(keys);
            assertThat(server.cli(migrate.toArray(String[]::new))).isEqualTo("OK");
            producer.incr("warm", 1).join(); // the promoted master's copy misses these
            producer.incr("warm", 1).join();
            server.cli("REPLICAOF", "127.0.0.1", Integer.toString(promoted.port()));
            await().atMost(Duration.ofSeconds(20)).until(() -> server.cli("INFO", "replication")
                    .contains("master_link_status:up"));

            long t0 = System.nanoTime();
            CompletableFuture<SendResult> plainSend = producer.incr("warm", 1);
            CompletableFuture<SendResult> idSend = producer.send(CounterOp.incr("warm", 1).withId("op-replica"));
            Throwable plain = failure(plainSend);
            Throwable withId = failure(idSend);
            assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
            for (Throwable f : List.of(plain, withId)) {
                assertThat(f).isInstanceOfSatisfying(SendFailedException.class, e -> {
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.maybeWritten()).isFalse();
                }).hasMessageContaining("READONLY").hasRootCauseInstanceOf(RedisReadonlyException.class);
            }
            assertThat(reasons).containsExactly("read_only", "read_only");

            server.cli("REPLICAOF", "NO", "ONE"); // promoted in turn: it takes writes again
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> !producer.incr("warm", 1).join().entryId().isEmpty());
        }
    }

    @Test
    void aUserDeniedACommand_sendsFailAtOnceNotRetriable_namingNoperm_andWriteNothing() {
        server.cli("ACL", "SETUSER", "default", "-evalsha");
        long t0 = System.nanoTime();
        Throwable denied = failure(producer.incr("denied", 1));
        assertThat(elapsedMs(t0)).isLessThan(SLACK_MS);
        assertThat(denied).isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.retriable()).isFalse();
            assertThat(e.maybeWritten()).isFalse();
        }).hasMessageContaining("NOPERM");

        // the script may run, but not the XADD it calls (Redis 7.0: "ERR The user executing the script can't run ...")
        server.cli("ACL", "SETUSER", "default", "+evalsha", "-xadd");
        Throwable deniedInScript = failure(producer.send(CounterOp.incr("denied", 1).withId("op-denied")));
        assertThat(deniedInScript).isInstanceOfSatisfying(SendFailedException.class,
                e -> assertThat(e.retriable()).isFalse());
        assertThat(reasons).containsExactly("no_permission", "no_permission");
        assertThat(entries()).isEqualTo(1);

        server.cli("ACL", "SETUSER", "default", "+@all");
        assertThat(producer.incr("denied", 1).join().entryId()).isNotEmpty();
    }

    @Test
    void loadingItsData_sendsFailRetriableWithinSendTimeout_namingLoading_andWriteNothing() throws Exception {
        // 8,000 keys loaded 1 ms apart, answering LOADING meanwhile (events processed every KiB read)
        try (RedisServer loading = RedisServer.start("--key-load-delay", "1000",
                "--loading-process-events-interval-bytes", "1024")) {
            TallyConfig loadingConfig = config.toBuilder().set(TallyConfig.REDIS_URL, loading.url()).build();
            RedissonClient loadingClient = RedisClientFactory.create(loadingConfig);
            Namespace.create(loadingClient, loadingConfig);
            try (TallyProducer loadingProducer = RedisTallyProducer.create(loadingConfig, metrics)) {
                assertThat(loadingProducer.incr("warm", 1).join().entryId()).isNotEmpty();
                loading.cli("EVAL", "for i = 1, 8000 do redis.call('SET', 'filler:' .. i, i) end", "0");
                loading.cli("SAVE");
                Thread restart = new Thread(loading::restart);
                restart.start();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> loading.cli("PING").startsWith("LOADING"));
                // the first send after the restart meets the connection Redis dropped; its outcome is its own
                catchThrowable(() -> loadingProducer.incr("warm", 1).get());
                reasons.clear();

                long t0 = System.nanoTime();
                CompletableFuture<SendResult> plainSend = loadingProducer.incr("warm", 1);
                CompletableFuture<SendResult> idSend = loadingProducer.send(CounterOp.incr("warm", 1).withId("op-loading"));
                Throwable plain = failure(plainSend);
                Throwable withId = failure(idSend);
                assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
                assertThat(loading.cli("PING")).as("still loading: the sends met LOADING").startsWith("LOADING");
                for (Throwable f : List.of(plain, withId)) {
                    assertThat(f).isInstanceOfSatisfying(SendFailedException.class, e -> {
                        assertThat(e.retriable()).isTrue();
                        assertThat(e.maybeWritten()).isFalse();
                    }).hasRootCauseInstanceOf(RedisLoadingException.class);
                }
                assertThat(reasons).containsExactly("loading", "loading");
                restart.join();
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> !loadingProducer.incr("warm", 1).join().entryId().isEmpty());
            } finally {
                loadingClient.shutdown();
            }
        }
    }

    @Test
    void rolledBackToAnOlderSnapshot_theProducerGoesOnByItself_everySendReportedWrittenIsThereOnce() throws Exception {
        server.cli("SAVE"); // the snapshot holds "warm" and the producer's session as it stood then
        for (int i = 0; i < 5; i++) {
            producer.incr("after-save", 1).join(); // acknowledged, then lost with the rollback
        }
        server.restart(); // SIGKILL, then the older RDB is loaded
        List<CompletableFuture<SendResult>> plain = new java.util.ArrayList<>();
        List<CompletableFuture<SendResult>> withIds = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            plain.add(producer.incr("rolled-" + (i % 4), 1));
            withIds.add(producer.send(CounterOp.incr("rolled-" + (i % 4), 1).withId("op-rolled-" + i)));
        }
        java.util.Set<String> written = new java.util.HashSet<>();
        int unknown = 0;
        for (CompletableFuture<SendResult> f : plain) {
            Throwable t = catchThrowable(f::join);
            if (t == null) {
                assertThat(written.add(f.join().entryId())).isTrue();
            } else {
                // the first attempt went to the connection the restart cut: it may have been written, for all the producer knows
                assertThat(t.getCause()).isInstanceOfAny(OutcomeUnknownException.class, SendFailedException.class);
                unknown += t.getCause() instanceof OutcomeUnknownException ? 1 : 0;
            }
        }
        for (int i = 0; i < withIds.size(); i++) {
            SendResult r;
            try {
                r = withIds.get(i).join();
            } catch (java.util.concurrent.CompletionException e) {
                assertThat(e.getCause()).isInstanceOfSatisfying(SendFailedException.class,
                        f -> assertThat(f.retriable()).isTrue());
                r = producer.send(CounterOp.incr("rolled-" + (i % 4), 1).withId("op-rolled-" + i)).join();
            }
            // a duplicate names the entry an attempt whose reply was lost wrote
            assertThat(written.add(r.entryId())).isTrue();
        }
        assertThat(written).hasSizeGreaterThanOrEqualTo(20); // every send with an id, once
        Keys keys = TestRedis.keys(config);
        java.util.Set<String> inStreams = new java.util.HashSet<>();
        for (int p = 0; p < 2; p++) {
            inStreams.addAll(client.getStream(keys.ops(p), org.redisson.client.codec.ByteArrayCodec.INSTANCE).range(
                    org.redisson.api.stream.StreamMessageId.MIN, org.redisson.api.stream.StreamMessageId.MAX).keySet().stream()
                    .map(Object::toString).toList());
        }
        assertThat(inStreams).containsAll(written);
        // warm, each send reported written, and at most the plain sends whose outcome stayed unknown
        assertThat((long) inStreams.size()).isBetween(1L + written.size(), 1L + written.size() + unknown);
    }

    private long entries() {
        Keys keys = TestRedis.keys(config);
        long n = 0;
        for (int p = 0; p < 2; p++) {
            n += client.getStream(keys.ops(p), StringCodec.INSTANCE).size();
        }
        return n;
    }

    private static Throwable failure(CompletableFuture<SendResult> send) {
        Throwable t = catchThrowable(send::get);
        assertThat(t).as("the send failed").isInstanceOf(ExecutionException.class);
        return t.getCause();
    }

    private static long elapsedMs(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
