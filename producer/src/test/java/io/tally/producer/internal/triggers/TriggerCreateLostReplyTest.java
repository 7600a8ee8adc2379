package io.tally.producer.internal.triggers;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.triggers.TriggerLimitException;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A trigger create whose reply is lost after Redis ran it (a proxy cuts the connection once Redis replied), then
 * retried with the same id: answered with the stored trigger when Redis answers the retry, and of unknown outcome,
 * naming the id, when it cannot (Redis gone), never "nothing was written"; a Redis down before anything left
 * fails the create as nothing written.
 */
class TriggerCreateLostReplyTest {
    private static final String CREATE = LuaScript.resource("trigger_create").sha();
    private static final TriggerDefinition DEF = TriggerDefinition.time(1_893_456_000_000L).build();
    /** An event trigger, so that max-triggers-per-key (checked in the create script) can refuse it. */
    private static final TriggerDefinition ON_EVENT = TriggerDefinition.event("capped").build();
    private static final Pattern UNKNOWN = Pattern.compile("trigger (t0-\\S+) may or may not have been created: Redis "
            + "did not answer the create within redis-timeout-ms; read trigger \\1 \\(GET /v1/triggers/\\1\\) to know, "
            + "before creating it again");

    private RedisServer server;
    private ReplyCuttingProxy proxy;
    /** The client under test, on the proxy. */
    private RedissonClient redis;
    /** A client on Redis itself, for what is stored. */
    private RedissonClient direct;
    private Keys keys;
    private TallyConfig config;
    private RedisTriggerClient triggers;

    @BeforeEach
    void start() {
        server = RedisServer.start();
        proxy = ReplyCuttingProxy.start(server.port());
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url())
                .set(TallyConfig.NAMESPACE, "create").set(TallyConfig.PARTITIONS, 1)
                .set(TallyConfig.REDIS_TIMEOUT_MS, 500).build();
        redis = RedisClientFactory.create(config);
        direct = RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build());
        Namespace.create(redis, config);
        keys = Namespace.keys(redis, "create");
        LuaScript.resource("trigger_create").load(redis); // so that the attempt whose reply is cut runs the script
        triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
    }

    @AfterEach
    void stop() {
        if (triggers != null) {
            triggers.close();
        }
        for (RedissonClient c : new RedissonClient[] {redis, direct}) {
            if (c != null) {
                c.shutdown();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aCreateWhoseReplyIsLost_thenRedisUnreachable_isOutcomeUnknownNamingTheId_andTheTriggerIsStored() {
        proxy.cutNext(CREATE, 1, Cut.AFTER_REPLY);
        CompletableFuture<Trigger> create = CompletableFuture.supplyAsync(() -> triggers.create(DEF));
        awaitCuts(1);
        proxy.refuse(); // Redis went away after the create ran: the retries cannot connect

        Throwable failure = catchFailure(create);
        assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
        Matcher m = UNKNOWN.matcher(failure.getMessage());
        assertThat(m.matches()).as(failure.getMessage()).isTrue();
        assertThat(stored()).containsKey(m.group(1)).containsEntry(":count", "1");
        proxy.admit();
    }

    @Test
    void aCreateWhoseReplyIsLostOnce_returnsTheStoredTrigger_storedOnce() {
        proxy.cutNext(CREATE, 1, Cut.AFTER_REPLY);
        Trigger t = triggers.create(DEF);

        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(t.definition()).isEqualTo(DEF);
        assertThat(t.createdAt()).isEqualTo(Long.parseLong(stored().get(t.id() + ":createdAt")));
        assertThat(stored()).containsEntry(":count", "1").containsKey(t.id());
        assertThat(triggers.list(null, null)).extracting(Trigger::id).containsExactly(t.id());
    }

    @Test
    void aCreateRetriedAfterALostReply_whoseReadBackFails_saysItWasCreated_notNothingWritten() {
        proxy.cutNext(CREATE, 1, Cut.AFTER_REPLY);
        CompletableFuture<Trigger> create = CompletableFuture.supplyAsync(() -> triggers.create(DEF));
        awaitCuts(1);
        // the retry answers EXISTS; every reply of the read that follows (with Redisson's two retries) is lost
        proxy.cutNext("HMGET", 3, Cut.AFTER_REPLY);

        Throwable failure = catchFailure(create);
        assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
        String id = stored().keySet().stream().filter(k -> k.startsWith("t0-") && !k.contains(":")).findFirst()
                .orElseThrow();
        assertThat(failure).hasMessage("trigger " + id + " was created, but reading it back failed; read trigger " + id
                + " (GET /v1/triggers/" + id + ") rather than creating it again");
        assertThat(proxy.cuts()).isEqualTo(4);
        assertThat(stored()).containsEntry(":count", "1");
    }

    @Test
    void aCreateWhoseReplyIsLost_thenARepeatRefusedByTheKeysCap_isOutcomeUnknownNamingTheId_notNothingWritten() {
        RedisTriggerClient capped = RedisTriggerClient.create(redis,
                config.toBuilder().set(TallyConfig.MAX_TRIGGERS_PER_KEY, 1).build(), InstantSource.system());
        Trigger filler = capped.create(ON_EVENT);
        // the first attempt's connection breaks once it is written: the client cannot tell whether Redis got it (here
        // it did not, as if it were still held in a socket buffer), and its repeat meets the cap the filler holds
        proxy.cutNext(CREATE, 1, Cut.BEFORE_REQUEST);

        Throwable failure = catchFailure(CompletableFuture.supplyAsync(() -> capped.create(ON_EVENT)));
        assertThat(proxy.cuts()).isEqualTo(1);
        assertThat(failure).isInstanceOf(OutcomeUnknownException.class)
                .hasCauseInstanceOf(TriggerLimitException.class);
        Matcher m = Pattern.compile("trigger (t0-\\S+) may or may not have been created: Redis did not answer the create "
                + "within redis-timeout-ms, and a repeat with the same id was refused by max-triggers-per-key, which "
                + "does not settle whether the first attempt ran or still will; read trigger \\1 "
                + "\\(GET /v1/triggers/\\1\\) to know, before creating it again").matcher(failure.getMessage());
        assertThat(m.matches()).as(failure.getMessage()).isTrue();
        assertThat(m.group(1)).isNotEqualTo(filler.id());
        assertThat(capped.get(m.group(1))).isEmpty();
        assertThat(stored()).containsEntry(":count", "1");
    }

    @Test
    void aCreateWhoseReplyIsLost_thenARepeatRefusedByTheScript_isOutcomeUnknownNamingTheId() {
        proxy.cutNext(CREATE, 1, Cut.BEFORE_REQUEST);
        CompletableFuture<Trigger> create = CompletableFuture.supplyAsync(() -> triggers.create(DEF));
        awaitCuts(1);
        // before the repeat (0.5 s at the earliest): a ':count' the script refuses, as another program could write it
        direct.getMap(keys.triggers(0), StringCodec.INSTANCE).put(":count", "many");

        Throwable failure = catchFailure(create);
        assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
        assertThat(failure.getMessage()).matches("trigger t0-\\S+ may or may not have been created: Redis did not "
                + "answer the create within redis-timeout-ms, and a repeat with the same id failed \\(reason other\\), "
                + "which does not settle whether the first attempt ran or still will; read trigger .*");
        assertThat(stored()).containsOnly(Map.entry(":count", "many"));
    }

    @Test
    void aRedisDownFromTheStart_failsTheCreateAsNothingWritten() {
        server.kill();
        assertThatThrownBy(() -> triggers.create(DEF)).isNotInstanceOf(OutcomeUnknownException.class);
    }

    /** The namespace's only triggers hash, read on Redis itself. */
    private Map<String, String> stored() {
        return direct.<String, String>getMap(keys.triggers(0), StringCodec.INSTANCE).readAllMap();
    }

    private void awaitCuts(int n) {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (proxy.cuts() < n) {
            assertThat(System.nanoTime()).as("waited for %s cut(s)", n).isLessThan(until);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static Throwable catchFailure(CompletableFuture<Trigger> create) {
        try {
            Trigger t = create.join();
            throw new AssertionError("the create succeeded: " + t);
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
