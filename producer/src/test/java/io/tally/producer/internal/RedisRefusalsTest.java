package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.model.CounterOp;
import io.tally.producer.OutcomeUnknownException;
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

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.tally.producer.internal.ProducerOnOwnRedis.SEND_TIMEOUT_MS;
import static io.tally.producer.internal.ProducerOnOwnRedis.SLACK_MS;
import static io.tally.producer.internal.ProducerOnOwnRedis.elapsedMs;
import static io.tally.producer.internal.ProducerOnOwnRedis.failure;
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
    private ProducerOnOwnRedis own;

    @BeforeEach
    void start() {
        own = new ProducerOnOwnRedis("refusals");
    }

    @AfterEach
    void stop() {
        own.close();
    }

    @Test
    void pausedForWrites_sendsEndWithinSendTimeout_plainOutcomeUnknown_withIdRetriable_andTheRetryIsWrittenOnce() {
        own.server.cli("CLIENT", "PAUSE", "60000", "WRITE");
        long t0 = System.nanoTime();
        CompletableFuture<SendResult> plain = own.producer.incr("paused", 1);
        CompletableFuture<SendResult> withId = own.producer.send(CounterOp.incr("paused", 1).withId("op-paused"));
        Throwable plainFailure = failure(plain);
        Throwable idFailure = failure(withId);
        assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
        // the call left and got no reply: it may have been written
        assertThat(plainFailure).isInstanceOf(OutcomeUnknownException.class);
        assertThat(idFailure).isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.retriable()).isTrue();
            assertThat(e.maybeWritten()).isTrue();
        });
        assertThat(own.reasons).containsExactly("timeout", "timeout");

        own.server.cli("CLIENT", "UNPAUSE");
        SendResult again = own.producer.send(CounterOp.incr("paused", 1).withId("op-paused")).join();
        assertThat(again.entryId()).isNotEmpty();
        // warm, the retried id once, and the plain send at most once
        assertThat(own.entries()).isBetween(2L, 3L);
    }

    @Test
    void busyWithAScript_sendsFailRetriableWithinSendTimeout_namingBusy_andWriteNothing() throws Exception {
        own.server.cli("CONFIG", "SET", "busy-reply-threshold", "100");
        Thread script = new Thread(() -> own.server.cli("EVAL", "local t = redis.call('TIME') while true do "
                + "local n = redis.call('TIME') if n[1] - t[1] > 4 then break end end return 1", "0"));
        script.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> own.server.cli("PING").startsWith("BUSY"));
        assertBothFailRetriableNotWritten(own.producer, "busy", "op-busy", RedisBusyException.class, "busy");
        script.join();
        assertThat(own.entries()).isEqualTo(1);
        assertThat(own.producer.incr("busy", 1).join().entryId()).isNotEmpty();
    }

    @Test
    void aDemotedMasterBehindThisProducer_sendsWaitingForANewSessionFailRetriable_namingReadonly() {
        // A failover as a producer sees it through a fixed address: the master it wrote to comes back as a
        // replica of the promoted one, whose copy missed its last sends. The stream's session is behind
        // (SEQGAP), so the stream needs a new session, and the replica refuses to begin one.
        try (RedisServer promoted = RedisServer.start()) {
            List<String> keys = List.of(own.server.cli("KEYS", "refusals*").split("\n"));
            List<String> migrate = new java.util.ArrayList<>(List.of("MIGRATE", "127.0.0.1",
                    Integer.toString(promoted.port()), "", "0", "5000", "COPY", "KEYS"));
            migrate.addAll(keys);
            assertThat(own.server.cli(migrate.toArray(String[]::new))).isEqualTo("OK");
            own.producer.incr("warm", 1).join(); // the promoted master's copy misses these
            own.producer.incr("warm", 1).join();
            own.server.cli("REPLICAOF", "127.0.0.1", Integer.toString(promoted.port()));
            await().atMost(Duration.ofSeconds(20)).until(() -> own.server.cli("INFO", "replication")
                    .contains("master_link_status:up"));

            List<Throwable> failures = assertBothFailRetriableNotWritten(own.producer, "warm", "op-replica",
                    RedisReadonlyException.class, "read_only");
            assertThat(failures).allSatisfy(f -> assertThat(f).hasMessageContaining("READONLY"));

            own.server.cli("REPLICAOF", "NO", "ONE"); // promoted in turn: it takes writes again
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> !own.producer.incr("warm", 1).join().entryId().isEmpty());
        }
    }

    @Test
    void aUserDeniedACommand_sendsFailAtOnceNotRetriable_namingNoperm_andWriteNothing() {
        own.server.cli("ACL", "SETUSER", "default", "-evalsha");
        long t0 = System.nanoTime();
        Throwable denied = failure(own.producer.incr("denied", 1));
        assertThat(elapsedMs(t0)).isLessThan(SLACK_MS);
        assertThat(denied).isInstanceOfSatisfying(SendFailedException.class, e -> {
            assertThat(e.retriable()).isFalse();
            assertThat(e.maybeWritten()).isFalse();
        }).hasMessageContaining("NOPERM");

        // the script may run, but not the XADD it calls (Redis 7.0: "ERR The user executing the script can't run ...")
        own.server.cli("ACL", "SETUSER", "default", "+evalsha", "-xadd");
        Throwable deniedInScript = failure(own.producer.send(CounterOp.incr("denied", 1).withId("op-denied")));
        assertThat(deniedInScript).isInstanceOfSatisfying(SendFailedException.class,
                e -> assertThat(e.retriable()).isFalse());
        assertThat(own.reasons).containsExactly("no_permission", "no_permission");
        assertThat(own.entries()).isEqualTo(1);

        own.server.cli("ACL", "SETUSER", "default", "+@all");
        assertThat(own.producer.incr("denied", 1).join().entryId()).isNotEmpty();
    }

    @Test
    void loadingItsData_sendsFailRetriableWithinSendTimeout_namingLoading_andWriteNothing() throws Exception {
        // 8,000 keys loaded 1 ms apart, answering LOADING meanwhile (events processed every KiB read)
        try (RedisServer loading = RedisServer.start("--key-load-delay", "1000",
                "--loading-process-events-interval-bytes", "1024")) {
            TallyConfig loadingConfig = own.config.toBuilder().set(TallyConfig.REDIS_URL, loading.url()).build();
            RedissonClient loadingClient = RedisClientFactory.create(loadingConfig);
            Namespace.create(loadingClient, loadingConfig);
            try (TallyProducer loadingProducer = RedisTallyProducer.create(loadingConfig, own.metrics)) {
                assertThat(loadingProducer.incr("warm", 1).join().entryId()).isNotEmpty();
                loading.cli("EVAL", "for i = 1, 8000 do redis.call('SET', 'filler:' .. i, i) end", "0");
                loading.cli("SAVE");
                Thread restart = new Thread(loading::restart);
                restart.start();
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> loading.cli("PING").startsWith("LOADING"));
                // the first send after the restart meets the connection Redis dropped; its outcome is its own
                catchThrowable(() -> loadingProducer.incr("warm", 1).get());
                own.reasons.clear();

                assertBothFailRetriableNotWritten(loadingProducer, "warm", "op-loading", RedisLoadingException.class,
                        "loading");
                assertThat(loading.cli("PING")).as("still loading: the sends met LOADING").startsWith("LOADING");
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
        own.server.cli("SAVE"); // the snapshot holds "warm" and the producer's session as it stood then
        for (int i = 0; i < 5; i++) {
            own.producer.incr("after-save", 1).join(); // acknowledged, then lost with the rollback
        }
        own.server.restart(); // SIGKILL, then the older RDB is loaded
        List<CompletableFuture<SendResult>> plain = new java.util.ArrayList<>();
        List<CompletableFuture<SendResult>> withIds = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            plain.add(own.producer.incr("rolled-" + (i % 4), 1));
            withIds.add(own.producer.send(CounterOp.incr("rolled-" + (i % 4), 1).withId("op-rolled-" + i)));
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
                r = own.producer.send(CounterOp.incr("rolled-" + (i % 4), 1).withId("op-rolled-" + i)).join();
            }
            // a duplicate names the entry an attempt whose reply was lost wrote
            assertThat(written.add(r.entryId())).isTrue();
        }
        assertThat(written).hasSizeGreaterThanOrEqualTo(20); // every send with an id, once
        Keys keys = TestRedis.keys(own.config);
        java.util.Set<String> inStreams = new java.util.HashSet<>();
        for (int p = 0; p < 2; p++) {
            inStreams.addAll(own.client.getStream(keys.ops(p), org.redisson.client.codec.ByteArrayCodec.INSTANCE).range(
                    org.redisson.api.stream.StreamMessageId.MIN, org.redisson.api.stream.StreamMessageId.MAX).keySet().stream()
                    .map(Object::toString).toList());
        }
        assertThat(inStreams).containsAll(written);
        // warm, each send reported written, and at most the plain sends whose outcome stayed unknown
        assertThat((long) inStreams.size()).isBetween(1L + written.size(), 1L + written.size() + unknown);
    }

    /**
     * Sends a plain increment and one with {@code id} at once, and asserts what a refusal that a retry may cure
     * promises: both fail within send-timeout-ms, retriable and not written, with Redis's refusal
     * ({@code rootCause}) at the root, each counted under {@code reason}. Returns both failures (plain first)
     * for what a scenario checks besides.
     */
    private List<Throwable> assertBothFailRetriableNotWritten(TallyProducer producer, String counter, String id,
            Class<? extends Throwable> rootCause, String reason) {
        long t0 = System.nanoTime();
        CompletableFuture<SendResult> plainSend = producer.incr(counter, 1);
        CompletableFuture<SendResult> idSend = producer.send(CounterOp.incr(counter, 1).withId(id));
        List<Throwable> failures = List.of(failure(plainSend), failure(idSend));
        assertThat(elapsedMs(t0)).isLessThan(SEND_TIMEOUT_MS + SLACK_MS);
        for (Throwable f : failures) {
            assertThat(f).isInstanceOfSatisfying(SendFailedException.class, e -> {
                assertThat(e.retriable()).isTrue();
                assertThat(e.maybeWritten()).isFalse();
            }).hasRootCauseInstanceOf(rootCause);
        }
        assertThat(own.reasons).containsExactly(reason, reason);
        return failures;
    }
}
