package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.dlq.DeadLetterFilter;
import io.tally.producer.internal.admin.RedisDeadLetters;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.time.InstantSource;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The idempotent admin writes (a counter delete, a trigger cancel, a dead letter's replay and purge) through a proxy
 * that loses the reply after Redis ran the call: each fails as outcome unknown, saying that doing it again is safe,
 * never answered as if it found nothing (a counter that "did not exist", a letter already gone), which a silent
 * retry of the call would answer; and doing it again settles it. A Redis that is down, where nothing left, fails
 * them as it always did: nothing written.
 */
class AdminWriteOutcomeTest {
    private RedisServer server;
    private ReplyCuttingProxy proxy;
    private RedissonClient redis;
    private Keys keys;
    private RedisTallyReader reader;

    @BeforeEach
    void start() {
        server = RedisServer.start();
        proxy = ReplyCuttingProxy.start(server.port());
        TallyConfig config = config();
        redis = RedisClientFactory.create(config);
        Namespace.create(redis, config);
        reader = RedisTallyReader.open(redis, config);
        keys = reader.keys();
    }

    @AfterEach
    void stop() {
        if (redis != null) {
            redis.shutdown();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCounterDeleteWhoseReplyIsLost_isOutcomeUnknown_notACounterThatDidNotExist() {
        redis.getMap(keys.counters(0), StringCodec.INSTANCE).put("lost", "7");
        proxy.cutNext("HDEL", 1, Cut.AFTER_REPLY);

        assertThatThrownBy(() -> reader.deleteCounter("lost")).isInstanceOf(OutcomeUnknownException.class)
                .hasMessage("counter 'lost' may or may not have been deleted: Redis did not answer within "
                        + "redis-timeout-ms, and may still run the delete; deleting it again is safe (a delete is "
                        + "idempotent)");
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(redis.getMap(keys.counters(0), StringCodec.INSTANCE).get("lost")).as("the delete ran").isNull();
        assertThat(reader.deleteCounter("lost")).isFalse();
    }

    @Test
    void aTriggerCancelWhoseReplyIsLost_isOutcomeUnknownNamingIt_andCancelingAgainReturnsItCanceled() {
        try (RedisTriggerClient triggers = RedisTriggerClient.create(redis, config(), InstantSource.system())) {
            Trigger t = triggers.create(TriggerDefinition.time(1_893_456_000_000L).build());
            proxy.cutNext(loaded("trigger_cancel"), 1, Cut.AFTER_REPLY);

            assertThatThrownBy(() -> triggers.cancel(t.id())).isInstanceOf(OutcomeUnknownException.class)
                    .hasMessage("trigger " + t.id() + " may or may not have been canceled: Redis did not answer within "
                            + "redis-timeout-ms, and may still run the cancel; canceling it again is safe (a cancel is "
                            + "idempotent) and returns the trigger with its status");
            assertThat(proxy.cuts()).isEqualTo(1);
            assertThat(triggers.get(t.id()).orElseThrow().status()).as("the cancel ran").isEqualTo(TriggerStatus.CANCELED);
            assertThat(triggers.cancel(t.id()).orElseThrow().status()).isEqualTo(TriggerStatus.CANCELED);
        }
    }

    @Test
    void aTriggerCanceledWhoseReadBackFails_isNotAFailureThatWroteNothing() {
        try (RedisTriggerClient triggers = RedisTriggerClient.create(redis, config(), InstantSource.system())) {
            Trigger t = triggers.create(TriggerDefinition.time(1_893_456_000_000L).build());
            loaded("trigger_cancel"); // its source, sent by SCRIPT LOAD, holds HMGET too
            // the read after the cancel (HMGET, with Redisson's two retries) loses every reply
            proxy.cutNext("HMGET", 3, Cut.AFTER_REPLY);

            assertThatThrownBy(() -> triggers.cancel(t.id())).isInstanceOf(OutcomeUnknownException.class)
                    .hasMessage("trigger " + t.id() + " was canceled, but reading it back failed; canceling it again "
                            + "is safe (a cancel is idempotent) and returns the trigger");
            assertThat(proxy.cuts()).isEqualTo(3);
            assertThat(triggers.cancel(t.id()).orElseThrow().status()).isEqualTo(TriggerStatus.CANCELED);
        }
    }

    @Test
    void aDeadLetterReplayWhoseReplyIsLost_isOutcomeUnknownNamingTheLetter_andReplayingAgainNeverAppendsItTwice() {
        String letter = deadLetter();
        RedisDeadLetters dlq = new RedisDeadLetters(redis, keys, 1);
        proxy.cutNext(loaded("dlq_replay"), 1, Cut.AFTER_REPLY);

        assertThatThrownBy(() -> dlq.replay(DeadLetterFilter.ALL, 10)).isInstanceOf(OutcomeUnknownException.class)
                .hasMessage("dead letter " + letter + " of partition 0 may or may not have been replayed: Redis did "
                        + "not answer within redis-timeout-ms, and may still run the replay; replaying again is safe (a "
                        + "letter leaves the dead-letter stream in the same step as its entry is appended, so it is "
                        + "never appended twice)");
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(opsEntries()).as("the replay ran").isEqualTo(1);
        assertThat(dlq.replay(DeadLetterFilter.ALL, 10)).isEmpty();
        assertThat(opsEntries()).isEqualTo(1);
        assertThat(dlq.count(0)).isZero();
    }

    @Test
    void aDeadLetterPurgeWhoseReplyIsLost_isOutcomeUnknownNamingTheLetter_notZeroPurged() {
        String letter = deadLetter();
        RedisDeadLetters dlq = new RedisDeadLetters(redis, keys, 1);
        proxy.cutNext(loaded("dlq_delete"), 1, Cut.AFTER_REPLY);

        assertThatThrownBy(() -> dlq.purge(DeadLetterFilter.ALL, 10)).isInstanceOf(OutcomeUnknownException.class)
                .hasMessage("purge deleted 0 dead letter(s), then dead letter " + letter + " of partition 0 may or may "
                        + "not have been deleted: Redis did not answer within redis-timeout-ms, and may still run the "
                        + "delete; purging again is safe (a delete is idempotent)");
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(dlq.count(0)).as("the delete ran").isZero();
        assertThat(dlq.purge(DeadLetterFilter.ALL, 10)).isZero();
    }

    @Test
    void aRedisThatIsDown_failsTheDeleteAndTheCancelAsNothingWritten() {
        try (RedisTriggerClient triggers = RedisTriggerClient.create(redis, config(), InstantSource.system())) {
            server.kill();
            // nothing left: a failure that is not of unknown outcome, as the HTTP service's 503 says
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> reader.deleteCounter("c")).isNotInstanceOf(OutcomeUnknownException.class);
                assertThatThrownBy(() -> triggers.cancel("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV"))
                        .isNotInstanceOf(OutcomeUnknownException.class);
            }
        }
    }

    private TallyConfig config() {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url()).set(TallyConfig.NAMESPACE, "admin")
                .set(TallyConfig.PARTITIONS, 1).set(TallyConfig.REDIS_TIMEOUT_MS, 500).build();
    }

    /** The SHA of a script, loaded so that the call whose reply is cut runs it rather than meeting NOSCRIPT. */
    private String loaded(String script) {
        LuaScript lua = LuaScript.resource(script);
        lua.load(redis);
        return lua.sha();
    }

    /** A dead letter of an ops entry, as the apply script writes one; its id. */
    private String deadLetter() {
        Map<String, String> fields = Map.of("reason", "unknown_op", "error", "unknown op", "source", "ops",
                "source_id", "1-0", "f.op", "bogus", "f.counter", "b");
        return redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(fields)).toString();
    }

    private long opsEntries() {
        return redis.<String, String>getStream(keys.ops(0), StringCodec.INSTANCE)
                .range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).size();
    }
}
