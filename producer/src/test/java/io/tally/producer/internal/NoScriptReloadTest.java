package io.tally.producer.internal;

import io.tally.common.config.HotPathConnection;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.model.CounterOp;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Redis that forgot append_runs.lua (SCRIPT FLUSH, as after a restart or a failover) answers the
 * producer's call NOSCRIPT, typed where it enters the producer on either path: the call wrote nothing,
 * the script is loaded again and the call goes again, so each send is written once. An error that merely
 * mentions NOSCRIPT is not taken for it.
 */
@ExtendWith(RealRedisExtension.class)
class NoScriptReloadTest {

    @ParameterizedTest(name = "{0}, producer sessions {1}")
    @CsvSource({"DIRECT, true", "DIRECT, false", "REDISSON, true", "REDISSON, false"})
    void sendsAfterRedisForgotTheScript_areWrittenOnce(HotPathConnection connection, boolean sessions, TestRedis redis)
            throws Exception {
        TallyConfig config = redis.config(1).set(TallyConfig.HOT_PATH_CONNECTION, connection)
                .set(TallyConfig.PRODUCER_IDEMPOTENCE, sessions).set(TallyConfig.PRODUCER_LINGER_MS, 100).build();
        Keys keys = TestRedis.keys(config);
        try (RawRedis raw = new RawRedis(config.redisUrl());
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult warm = producer.send(CounterOp.incr("a", 1).withId("warm")).get(10, TimeUnit.SECONDS);
            assertThat(raw.callText("CLIENT", "LIST").contains(" name=tally-producer "))
                    .as("the producer's own connection").isEqualTo(connection == HotPathConnection.DIRECT);
            long refusedBefore = errors(raw, "NOSCRIPT");
            raw.call("SCRIPT", "FLUSH");
            // one call: a send with an id and one without
            CompletableFuture<SendResult> withId = producer.send(CounterOp.incr("a", 2).withId("x"));
            CompletableFuture<SendResult> plain = producer.send(CounterOp.incr("b", 3));
            producer.flush();
            assertThat(withId).succeedsWithin(Duration.ofSeconds(10)).extracting(SendResult::duplicate).isEqualTo(false);
            assertThat(plain).succeedsWithin(Duration.ofSeconds(10)).extracting(SendResult::duplicate).isEqualTo(false);
            assertThat(errors(raw, "NOSCRIPT")).as("Redis refused the call (NOSCRIPT)").isGreaterThan(refusedBefore);
            assertThat(raw.call("SCRIPT", "EXISTS", SenderLoop.APPEND_RUNS.sha())).as("loaded again").isEqualTo(List.of(1L));
            // warm, x and b: each written once, under the ids the sends were answered with
            assertThat(entryIds(raw, keys.ops(0)))
                    .containsExactly(warm.entryId(), withId.join().entryId(), plain.join().entryId());
        }
    }

    @Test
    void anErrorThatMerelyMentionsNoScript_isNotTakenForIt_norRunAgain(TestRedis redis) {
        LuaScript mentions = LuaScript.of("mentions",
                "return redis.error_reply('ERR the script was told NOSCRIPT No matching script')");
        RedissonClient client = redis.client();
        try (RawRedis raw = new RawRedis(redis.url())) {
            mentions.load(client);
            long errorsBefore = errors(raw, "ERR");
            assertThatThrownBy(() -> mentions.eval(client, RScript.ReturnType.VALUE, List.of()))
                    .isInstanceOf(RedisException.class).hasMessageContaining("told NOSCRIPT")
                    .satisfies(e -> assertThat(LuaScript.isNoScript(e)).isFalse());
            assertThat(errors(raw, "ERR") - errorsBefore).as("runs of the script: not loaded and run again").isEqualTo(1);
        } finally {
            client.shutdown();
        }
    }

    /** Error replies Redis has given with this code (INFO errorstats). */
    private static long errors(RawRedis raw, String code) {
        Matcher m = Pattern.compile("errorstat_" + code + ":count=(\\d+)").matcher(raw.callText("INFO", "errorstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static List<String> entryIds(RawRedis raw, String stream) {
        return ((List<?>) raw.call("XRANGE", stream, "-", "+")).stream()
                .map(entry -> RawRedis.text(((List<?>) entry).get(0))).toList();
    }
}
