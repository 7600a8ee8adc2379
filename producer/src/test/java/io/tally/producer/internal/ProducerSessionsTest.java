package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Producer sessions against a real Redis behind a proxy that loses replies: a send whose reply was lost
 * (or whose request never arrived) is sent again in the same session and written once; without sessions
 * the same loss leaves a send's outcome unknown. A session that Redis forgot, or whose sequence Redis
 * lost part of, makes the stream move to a new session and lose nothing.
 */
class ProducerSessionsTest {
    private static final String APPEND = LuaScript.resource("append_runs").sha();

    private RedisServer server;
    private ReplyCuttingProxy proxy;
    private RedissonClient admin;
    private Keys keys;

    @BeforeEach
    void start() {
        server = RedisServer.start();
        proxy = ReplyCuttingProxy.start(server.port());
        TallyConfig direct = config(true).set(TallyConfig.REDIS_URL, server.url()).build();
        admin = RedisClientFactory.create(direct);
        Namespace.create(admin, direct);
        keys = Namespace.keys(admin, direct.namespace());
    }

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.shutdown();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private TallyConfig.Builder config(boolean sessions) {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url()).set(TallyConfig.NAMESPACE, "sessions")
                .set(TallyConfig.PARTITIONS, 1).set(TallyConfig.PRODUCER_LINGER_MS, 50)
                .set(TallyConfig.PRODUCER_IDEMPOTENCE, sessions);
    }

    @Test
    void aReplyLostAfterTheScriptRan_isSentAgainAndWrittenOnce_withTheOriginalIds() {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).build(), ProducerMetrics.NOOP)) {
            producer.incr("warm", 1).join();
            proxy.cutNext(APPEND, 1, Cut.AFTER_REPLY);
            List<CompletableFuture<SendResult>> sends = mixedSends(producer, 20);
            producer.flush();
            assertThat(proxy.cuts()).isEqualTo(1);
            List<SendResult> results = sends.stream().map(CompletableFuture::join).toList();
            assertThat(results).extracting(SendResult::duplicate).containsOnly(false);
            // every send has its own entry, in send order, and the stream holds nothing else
            assertThat(streamIds().subList(1, streamIds().size()))
                    .containsExactlyElementsOf(results.stream().map(SendResult::entryId).toList());
            assertThat(field(21)).endsWith(" 2 " + results.get(0).entryId());
        }
    }

    @Test
    void aRequestLostBeforeRedis_isSentAgainAndWrittenOnce() {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).build(), ProducerMetrics.NOOP)) {
            producer.incr("warm", 1).join();
            proxy.cutNext(APPEND, 2, Cut.BEFORE_REQUEST);
            List<CompletableFuture<SendResult>> sends = mixedSends(producer, 20);
            producer.flush();
            assertThat(proxy.cuts()).isEqualTo(2);
            List<String> ids = sends.stream().map(f -> f.join().entryId()).toList();
            assertThat(streamIds().subList(1, streamIds().size())).containsExactlyElementsOf(ids);
        }
    }

    @Test
    void withoutSessions_aLostReplyLeavesAPlainSendOutcomeUnknown_thoughItWasWritten() {
        try (TallyProducer producer = RedisTallyProducer.create(config(false).build(), ProducerMetrics.NOOP)) {
            producer.incr("warm", 1).join();
            proxy.cutNext(APPEND, 1, Cut.AFTER_REPLY);
            CompletableFuture<SendResult> send = producer.incr("c", 1);
            producer.flush();
            assertThatThrownBy(send::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(OutcomeUnknownException.class);
            assertThat(streamIds()).hasSize(2);
            assertThat(admin.getKeys().countExists(keys.producers(0, "ops"), keys.producerSessions())).isZero();
        }
    }

    @Test
    void repliesLostUntilSendTimeout_failPlainSendsAsOutcomeUnknownAndSendsWithAnIdRetriable_andTheStreamMovesOn() {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).set(TallyConfig.SEND_TIMEOUT_MS, 600L).build(), ProducerMetrics.NOOP)) {
            producer.incr("warm", 1).join();
            proxy.cutNext(APPEND, 1_000, Cut.AFTER_REPLY);
            CompletableFuture<SendResult> plain = producer.incr("c", 1);
            CompletableFuture<SendResult> withId = producer.send(CounterOp.incr("c", 1).withId("k-1"));
            producer.flush();
            assertThatThrownBy(plain::join).cause().isInstanceOf(OutcomeUnknownException.class);
            assertThatThrownBy(withId::join).cause().isInstanceOfSatisfying(SendFailedException.class,
                    e -> assertThat(e.retriable()).isTrue());
            int cuts = proxy.cuts();
            assertThat(cuts).isGreaterThan(1);
            proxy.cutNext(APPEND, 0, Cut.AFTER_REPLY);
            // every attempt reached Redis, and only the first wrote
            assertThat(streamIds()).hasSize(3);

            // where the stream stood in that session is unknown now: the next send starts a new one
            SendResult after = producer.incr("c", 1).join();
            assertThat(streamIds()).hasSize(4).last().isEqualTo(after.entryId());
            Map<String, String> sessions = admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE)
                    .readAllMap();
            assertThat(sessions).hasSize(2).containsValue("1 1 " + after.entryId());
        }
    }

    @Test
    void aSessionRedisForgot_isReplacedByANewOne_andNothingIsLostOrDoubled() {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).build(), ProducerMetrics.NOOP)) {
            sendAll(producer, 5);
            admin.getKeys().delete(keys.producers(0, "ops")); // as a restart without persistence would
            List<String> ids = sendAll(producer, 5);
            assertThat(streamIds()).hasSize(10).endsWith(ids.toArray(String[]::new));
            Map<String, String> sessions = admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE)
                    .readAllMap();
            assertThat(sessions).hasSize(1);
            assertThat(sessions.keySet().iterator().next()).startsWith("2:");
            assertThat(sessions.values().iterator().next()).isEqualTo("5 5 " + ids.get(4)); // one call per send
        }
    }

    @Test
    void aSequenceGap_entriesRedisLost_isReplacedByANewSession_andTheNewSendsAreWrittenOnce() {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).build(), ProducerMetrics.NOOP)) {
            List<String> first = sendAll(producer, 5);
            field(5);
            String session = sessionName();
            // Redis lost the last three entries and the session's state moved back with them
            admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE).put(session, "2 1 " + first.get(0));
            List<String> ids = sendAll(producer, 5);
            assertThat(streamIds()).hasSize(10).endsWith(ids.toArray(String[]::new));
            assertThat(admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE).readAllMap())
                    .hasSize(2).containsEntry(session, "2 1 " + first.get(0));
        }
    }

    /** How Redis came to no longer hold where the session stood on the stream. */
    enum SessionLoss {
        /** Its field was deleted: swept after the hour, or by a hostile or buggy writer (NOSESSION). */
        FORGOTTEN,
        /** Its field moved back past entries it wrote (SEQGAP). */
        MOVED_BACK
    }

    @ParameterizedTest
    @EnumSource(SessionLoss.class)
    void aSessionRedisNoLongerHoldsAfterAReplyWasLost_failsAPlainSendAsOutcomeUnknown_neverWritingItTwice(SessionLoss loss)
            throws Exception {
        try (TallyProducer producer = RedisTallyProducer.create(config(true).build(), ProducerMetrics.NOOP)) {
            List<String> warm = sendAll(producer, 2);
            String session = sessionName();
            proxy.cutNext(APPEND, 1_000, Cut.AFTER_REPLY);
            CompletableFuture<SendResult> plain = producer.incr("c", 1);
            CompletableFuture<SendResult> withId = producer.send(CounterOp.incr("c", 2).withId("k-1"));
            CompletableFuture<SendResult> plainLater = producer.incr("c", 3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((proxy.cuts() == 0 || streamIds().size() < 2 + 3) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(proxy.cuts()).as("the first attempt's reply was lost").isPositive();
            assertThat(streamIds()).as("the first attempt wrote").hasSize(2 + 3);
            assertThat(plain).as("its outcome is not known yet").isNotDone();
            if (loss == SessionLoss.FORGOTTEN) {
                admin.getMap(keys.producers(0, "ops"), StringCodec.INSTANCE).fastRemove(session);
            } else {
                admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE).put(session, "1 1 " + warm.get(0));
            }
            proxy.cutNext(APPEND, 0, Cut.AFTER_REPLY);
            producer.flush();

            // the plain sends may or may not be in the stream as far as the producer can know; in fact they are, once
            for (CompletableFuture<SendResult> unknown : List.of(plain, plainLater)) {
                assertThatThrownBy(unknown::join).cause().isInstanceOf(OutcomeUnknownException.class)
                        .hasMessageContaining("may or may not be in").hasMessageContaining("not sent again")
                        .hasMessageContaining(loss == SessionLoss.FORGOTTEN ? "NOSESSION" : "SEQGAP");
            }
            // the send with an id went again in a new session: its dedupe key named the entry written first
            SendResult again = withId.join();
            assertThat(again.duplicate()).isTrue();
            List<String> ids = streamIds();
            assertThat(ids).hasSize(2 + 3).startsWith(warm.toArray(String[]::new));
            assertThat(again.entryId()).isEqualTo(ids.get(3));

            // the stream goes on in a new session
            SendResult after = producer.incr("c", 4).join();
            assertThat(streamIds()).hasSize(2 + 3 + 1).last().isEqualTo(after.entryId());
        }
    }

    @Test
    void aSessionCounterThatCannotGiveAnExactNumber_beginsNoSession_andIsLeftAsItWas() {
        LuaScript begin = LuaScript.resource("producer_session");
        String counter = keys.producerSessions();
        // past 2^53 two numbers would make one name; negative or not a number it is no session number
        for (String held : List.of("9007199254740993", "999999999999999", "-5", "007", "1e3")) {
            admin.<String>getBucket(counter, StringCodec.INSTANCE).set(held);
            assertThatThrownBy(() -> begin.eval(admin, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(counter)))
                    .as(held).hasMessageContaining("the session counter " + counter + " holds " + held)
                    .hasMessageContaining("nothing was written");
            assertThat(admin.<String>getBucket(counter, StringCodec.INSTANCE).get()).as(held).isEqualTo(held);
        }
        admin.<String>getBucket(counter, StringCodec.INSTANCE).set("999999999999998");
        assertThat(begin.<String>eval(admin, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(counter)))
                .startsWith("999999999999999:");
    }

    /** Sends n increments one pipeline at a time; returns their entry ids. */
    private static List<String> sendAll(TallyProducer producer, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(producer.incr("c" + i, 1).join().entryId());
        }
        return ids;
    }

    /** n sends in one pipeline: plain ones, and every third with an operation id. */
    private static List<CompletableFuture<SendResult>> mixedSends(TallyProducer producer, int n) {
        List<CompletableFuture<SendResult>> sends = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CounterOp op = CounterOp.incr("c" + (i % 4), i + 1);
            sends.add(producer.send(i % 3 == 0 ? op.withId("op-" + i) : op));
        }
        return sends;
    }

    private List<String> streamIds() {
        return admin.<String, String>getStream(keys.ops(0), StringCodec.INSTANCE)
                .range(StreamMessageId.MIN, StreamMessageId.MAX).keySet().stream().map(StreamMessageId::toString).toList();
    }

    /** The state of the only session on partition 0's ops stream, which must be at sequence {@code last}. */
    private String field(long last) {
        Map<String, String> sessions = admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE)
                .readAllMap();
        assertThat(sessions).hasSize(1);
        String state = sessions.values().iterator().next();
        assertThat(state).startsWith(last + " ");
        return state;
    }

    private String sessionName() {
        return admin.<String, String>getMap(keys.producers(0, "ops"), StringCodec.INSTANCE).readAllMap().keySet()
                .iterator().next();
    }
}
