package io.tally.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.app.cli.TallyCliTest.Run;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally delete}, {@code tally trigger cancel}, {@code tally dlq replay} and {@code tally dlq purge} through a
 * proxy that loses Redis's reply after the write ran: one line saying that it may or may not have been done and that
 * doing it again is safe, exit 1; never an answer as if the write found nothing to do (a counter that "did not
 * exist", "replayed 0", "purged 0"), which Redisson's silent retry of the call would give. Run again, the command
 * answers the state the write left. A {@code tally trigger add} whose reply is lost, its retries then unable to reach
 * Redis or refused by a cap, names the trigger to read: it may have been created.
 */
class DeleteOutcomeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ENV = Map.of("TALLY_REDIS_TIMEOUT_MS", "500");
    private static final String NL = System.lineSeparator();
    private static RedisServer server;
    private static ReplyCuttingProxy proxy;
    private static RedissonClient redis;
    private static Keys keys;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
        proxy = ReplyCuttingProxy.start(server.port());
        Run init = tally("init", "--partitions", "1");
        assertThat(init.code()).as(init.err()).isZero();
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build();
        redis = RedisClientFactory.create(config);
        keys = Namespace.keys(redis, config.namespace());
    }

    @AfterAll
    static void stop() {
        redis.shutdown();
        proxy.close();
        server.close();
    }

    @Test
    void aDeleteWhoseReplyIsLost_saysItMayHaveBeenDoneAndThatARetryIsSafe_notThatTheCounterDidNotExist() {
        redis.getMap(keys.counters(0), StringCodec.INSTANCE).put("lost", "7");
        proxy.cutNext("HDEL", 1, Cut.AFTER_REPLY);
        Run r = tally("delete", "lost");

        assertThat(r.err()).isEqualTo("tally delete: counter 'lost' may or may not have been deleted: Redis did not "
                + "answer within redis-timeout-ms, and may still run the delete; deleting it again is safe (a delete is "
                + "idempotent)" + NL);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(redis.getMap(keys.counters(0), StringCodec.INSTANCE).containsKey("lost")).as("deleted").isFalse();
        Run again = tally("delete", "lost");
        assertThat(again.code()).as(again.err()).isEqualTo(3);
        assertThat(again.out()).isEqualTo("counter 'lost' did not exist" + NL);
    }

    @Test
    void aCancelWhoseReplyIsLost_saysItMayHaveBeenDoneAndThatARetryIsSafe_andTheRetryPrintsItCanceled()
            throws Exception {
        Run added = tally("trigger", "add", "--json", "{\"kind\":\"time\",\"at\":1893456000000}");
        assertThat(added.code()).as(added.err()).isZero();
        String id = JSON.readTree(added.out()).get("id").asText();
        proxy.cutNext(loaded("trigger_cancel"), 1, Cut.AFTER_REPLY);
        Run r = tally("trigger", "cancel", id);

        assertThat(r.err()).isEqualTo("tally trigger cancel: trigger " + id + " may or may not have been canceled: "
                + "Redis did not answer within redis-timeout-ms, and may still run the cancel; canceling it again is "
                + "safe (a cancel is idempotent) and returns the trigger with its status" + NL);
        assertThat(r.code()).isEqualTo(1);
        Run again = tally("trigger", "cancel", id);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(JSON.readTree(again.out()).get("status").asText()).isEqualTo("canceled");
    }

    @Test
    void aReplayWhoseReplyIsLost_namesTheLetterThatMayHaveBeenReplayed_notReplayedZero() {
        String letter = deadLetter();
        proxy.cutNext(loaded("dlq_replay"), 1, Cut.AFTER_REPLY);
        Run r = tally("dlq", "replay");

        assertThat(r.out()).isEqualTo("replayed 0 dead letter(s) before the failure" + NL);
        assertThat(r.err()).isEqualTo("tally dlq replay: dead letter " + letter + " of partition 0 may or may not have "
                + "been replayed: Redis did not answer within redis-timeout-ms, and may still run the replay; replaying "
                + "again is safe (a letter leaves the dead-letter stream in the same step as its entry is appended, so "
                + "it is never appended twice)" + NL);
        assertThat(r.code()).isEqualTo(1);
        assertThat(redis.getStream(keys.ops(0), StringCodec.INSTANCE).size()).as("replayed").isEqualTo(1);
        Run again = tally("dlq", "replay");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("replayed 0 dead letter(s)" + NL);
        assertThat(redis.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(1);
    }

    @Test
    void aPurgeWhoseReplyIsLost_namesTheLetterThatMayHaveBeenDeleted_notPurgedZero() {
        String letter = deadLetter();
        proxy.cutNext(loaded("dlq_delete"), 1, Cut.AFTER_REPLY);
        Run r = tally("dlq", "purge", "--all");

        assertThat(r.err()).isEqualTo("tally dlq purge: purge deleted 0 dead letter(s), then dead letter " + letter
                + " of partition 0 may or may not have been deleted: Redis did not answer within redis-timeout-ms, and "
                + "may still run the delete; purging again is safe (a delete is idempotent)" + NL);
        assertThat(r.code()).isEqualTo(1);
        assertThat(redis.getStream(keys.dlq(0), StringCodec.INSTANCE).size()).as("deleted").isZero();
        Run again = tally("dlq", "purge", "--all");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("purged 0 dead letter(s)" + NL);
    }

    @Test
    void anAddWhoseReplyIsLost_thenRedisUnreachable_namesTheTriggerToRead_notAFailureThatWroteNothing()
            throws Exception {
        int cuts = proxy.cuts();
        proxy.cutNext(loaded("trigger_create"), 1, Cut.AFTER_REPLY);
        CompletableFuture<Run> add = CompletableFuture.supplyAsync(
                () -> tally("trigger", "add", "--json", "{\"kind\":\"time\",\"at\":1893456000000}"));
        Run r = proxy.refuseOnceCut(cuts, add, Duration.ofSeconds(60));

        Matcher id = Pattern.compile("tally trigger add: trigger (\\S+) may or may not have been created: Redis did "
                + "not answer the create within redis-timeout-ms; read trigger \\1 \\(GET /v1/triggers/\\1\\) to "
                + "know, before creating it again" + NL).matcher(r.err());
        assertThat(id.matches()).as(r.err()).isTrue();
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(redis.getMap(keys.triggers(0), StringCodec.INSTANCE).containsKey(id.group(1))).as("created")
                .isTrue();
    }

    @Test
    void anAddWhoseReplyIsLost_thenARepeatRefusedByACap_namesTheTriggerToRead_notAnExit2NothingWritten() {
        String onEvent = "{\"kind\":\"event\",\"eventType\":\"capped-cli\"}";
        Run filler = tally("trigger", "add", "--max-triggers-per-key", "1", "--json", onEvent);
        assertThat(filler.code()).as(filler.err()).isZero();
        int cuts = proxy.cuts();
        // the first attempt's connection breaks once it is written (Redis may or may not have it); the repeat meets
        // the cap the filler holds
        proxy.cutNext(loaded("trigger_create"), 1, Cut.BEFORE_REQUEST);
        Run r = tally("trigger", "add", "--max-triggers-per-key", "1", "--json", onEvent);

        assertThat(proxy.cuts()).isEqualTo(cuts + 1);
        Matcher id = Pattern.compile("tally trigger add: trigger (\\S+) may or may not have been created: Redis did "
                + "not answer the create within redis-timeout-ms, and a repeat with the same id was refused by "
                + "max-triggers-per-key, which does not settle whether the first attempt ran or still will; read "
                + "trigger \\1 \\(GET /v1/triggers/\\1\\) to know, before creating it again" + NL).matcher(r.err());
        assertThat(id.matches()).as(r.err()).isTrue();
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
    }

    /** The SHA of a script, loaded so that the call whose reply is cut runs it rather than meeting NOSCRIPT. */
    private static String loaded(String script) {
        LuaScript lua = LuaScript.resource(script);
        lua.load(redis);
        return lua.sha();
    }

    /** A dead letter of an ops entry, as the apply script writes one; its id. */
    private static String deadLetter() {
        Map<String, String> fields = Map.of("reason", "unknown_op", "error", "unknown op", "source", "ops",
                "source_id", "1-0", "f.op", "bogus", "f.counter", "b");
        return redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(fields)).toString();
    }

    /** {@code tally ARGS} on the proxy. */
    private static Run tally(String... args) {
        String[] all = Stream.concat(Arrays.stream(args), Stream.of("--redis-url", proxy.url())).toArray(String[]::new);
        return RedisErrorMessagesTest.tally(ENV, all);
    }
}
