package io.tally.producer.firings;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.trigger.Firing;
import io.tally.producer.internal.triggers.RedisFiringsConsumer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A firings consumer against keys another program wrote: it never stops on one poison entry or one
 * broken key, and every real firing still reaches the handler.
 */
@ExtendWith(RealRedisExtension.class)
class FiringsConsumerHostileTest {
    private static final String TRIGGER = "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV";

    private TestRedis testRedis;
    private RedissonClient redis;
    private TallyConfig config;
    private Keys keys;

    @BeforeEach
    void connect(TestRedis testRedis) {
        this.testRedis = testRedis;
        redis = testRedis.client();
    }

    @AfterEach
    void disconnect() {
        redis.shutdown();
    }

    /** A fresh namespace of {@code partitions} partitions, as after {@code tally init}. */
    private void namespace(int partitions) {
        config = testRedis.config(partitions).build();
        keys = TestRedis.keys(config);
    }

    private static StreamMessageId addFiring(RedissonClient redis, Keys keys, int p, String cause) {
        return redis.<String, String>getStream(keys.firings(p), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "firing_id", TRIGGER + ":" + cause, "trigger", TRIGGER, "kind", "event", "cause", cause,
                "fired_at", "1700000000000")));
    }

    private static long pending(RedissonClient redis, Keys keys, int p, String group) {
        return redis.getStream(keys.firings(p), StringCodec.INSTANCE).getPendingInfo(group).getTotal();
    }

    private static List<Map<String, String>> all(RStream<String, String> s) {
        return List.copyOf(s.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values());
    }

    @Test
    void entryWithTenThousandFields_deadLetters_andLaterFiringsAreHandled() {
        namespace(1);
        Map<String, String> huge = new LinkedHashMap<>();
        for (int i = 0; i < 10_000; i++) {
            huge.put("junk" + i, "x");
        }
        redis.<String, String>getStream(keys.firings(0), StringCodec.INSTANCE).add(StreamAddArgs.entries(huge));
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add)
                .maxDeliveries(2).claimIdle(Duration.ofMillis(100)).start()) {
            RStream<String, String> dlq = redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE);
            await().atMost(Duration.ofSeconds(10)).until(() -> c.deadLettered() == 1);
            addFiring(redis, keys, 0, "2-0");
            await().atMost(Duration.ofSeconds(10)).until(() -> c.handled() == 1);
            assertThat(seen).extracting(Firing::firingId).containsExactly(TRIGGER + ":2-0");
            List<Map<String, String>> dead = all(dlq);
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0)).containsEntry("deliveries", "2").containsEntry("f.junk0", "x")
                    .containsEntry("fields_dropped", String.valueOf(10_000 - RedisFiringsConsumer.MAX_DEAD_LETTER_FIELDS));
            assertThat(pending(redis, keys, 0, "audit")).isZero();
        }
    }

    @Test
    void deadLetterStreamOfAnotherType_claimsWriteNothingAndNewFiringsAreStillHandled() {
        namespace(1);
        redis.getBucket(keys.firingsDlq(0), StringCodec.INSTANCE).set("not a stream");
        StreamMessageId poison = addFiring(redis, keys, 0, "1-0");
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", f -> {
            seen.add(f);
            if (f.cause().equals("1-0")) {
                throw new IllegalStateException("poison");
            }
        }).maxDeliveries(1).claimIdle(Duration.ofMillis(100)).start()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> c.failures() == 1);
            await().pollDelay(Duration.ofMillis(600)).until(() -> true); // several claim rounds
            addFiring(redis, keys, 0, "2-0");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 1);
            assertThat(seen).extracting(Firing::cause).containsExactly("1-0", "2-0");
            assertThat(c.deadLettered()).isZero();
            // the poison firing stays pending with its error, waiting for the dead-letter stream to be repaired
            assertThat(pending(redis, keys, 0, "audit")).isEqualTo(1);
            assertThat(redis.<String, String>getMap(keys.firingsErrors(0), StringCodec.INSTANCE)
                    .get(poison + " audit")).endsWith("java.lang.IllegalStateException: poison");
            // repaired: it dead-letters at the next claim
            redis.getBucket(keys.firingsDlq(0)).delete();
            await().atMost(Duration.ofSeconds(5)).until(() -> c.deadLettered() == 1);
            assertThat(all(redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE)).get(0))
                    .containsEntry("f.cause", "1-0").containsEntry("source_id", poison.toString())
                    .as("the claims that could not dead-letter it were no deliveries").containsEntry("deliveries", "1");
            assertThat(pending(redis, keys, 0, "audit")).isZero();
        }
    }

    @Test
    void handlerThrowingAnError_isAFailureLikeAnException_andTheConsumerGoesOn() {
        namespace(1);
        addFiring(redis, keys, 0, "1-0");
        addFiring(redis, keys, 0, "2-0");
        List<Firing> handled = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", f -> {
            if (f.cause().equals("1-0")) {
                throw new AssertionError("handler bug");
            }
            handled.add(f);
        }).maxDeliveries(2).claimIdle(Duration.ofMillis(100)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> c.deadLettered() == 1 && c.handled() == 1);
            assertThat(handled).extracting(Firing::cause).containsExactly("2-0");
            assertThat(c.failures()).isEqualTo(2);
            assertThat(all(redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE)).get(0).get("error"))
                    .isEqualTo(c.consumerName() + ": java.lang.AssertionError: handler bug");
        }
    }

    @Test
    void groupLostWithRedisData_isCreatedAgain_andNewFiringsAreHandled() {
        namespace(2);
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add)
                .claimIdle(Duration.ofMillis(100)).start()) {
            addFiring(redis, keys, 1, "1-0");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 1);
            // Redis restarted empty (or FLUSHALL): the streams and their groups are gone
            redis.getKeys().delete(keys.firings(0), keys.firings(1));
            addFiring(redis, keys, 1, "2-0"); // a processor's firing after the loss (XADD creates the stream)
            await().atMost(Duration.ofSeconds(10)).until(() -> c.handled() == 2);
            assertThat(seen).extracting(Firing::cause).containsExactly("1-0", "2-0");
            assertThat(pending(redis, keys, 1, "audit")).isZero();
        }
    }

    @Test
    void firingWithAnIdBeyondJavasLong_reachesTheHandler_andIsAcknowledged() {
        namespace(1);
        // another program wrote an id past 2^63: every later XADD '*' (the processor's firings) gets that time
        redis.getScript(StringCodec.INSTANCE).eval(org.redisson.api.RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], '18446744073709551610-0', 'junk', 'x')",
                org.redisson.api.RScript.ReturnType.VALUE, List.of(keys.firings(0)));
        redis.getScript(StringCodec.INSTANCE).eval(org.redisson.api.RScript.Mode.READ_WRITE,
                "return redis.call('XADD', KEYS[1], '*', 'firing_id', 'T:1', 'trigger', 'T', 'kind', 'time', "
                        + "'cause', '1', 'fired_at', '1700000000000')",
                org.redisson.api.RScript.ReturnType.VALUE, List.of(keys.firings(0)));
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add)
                .maxDeliveries(2).claimIdle(Duration.ofMillis(100)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> c.handled() == 1);
            assertThat(seen).extracting(Firing::firingId).containsExactly("T:1");
            assertThat(seen.get(0).entryId()).isEqualTo("18446744073709551610-1");
        }
    }

    @Test
    void firingsKeyOfAnotherTypeOnOnePartition_theOtherPartitionsFiringsAreStillHandled() {
        namespace(3);
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add).start()) {
            redis.getKeys().delete(keys.firings(0));
            redis.getBucket(keys.firings(0), StringCodec.INSTANCE).set("not a stream"); // another program's
            addFiring(redis, keys, 1, "1-0");
            addFiring(redis, keys, 2, "2-0");
            // claimIdle is 30 s: only reads deliver within the wait
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 2);
            assertThat(seen).extracting(Firing::partition).containsExactlyInAnyOrder(1, 2);
            assertThat(pending(redis, keys, 1, "audit") + pending(redis, keys, 2, "audit")).isZero();
        }
    }

    @Test
    void firingsKeyOfAnotherTypeAtStart_theConsumerStarts_servesTheOthers_andThatOneOnceRepaired() {
        namespace(2);
        redis.getKeys().delete(keys.firings(0));
        redis.getBucket(keys.firings(0), StringCodec.INSTANCE).set("junk"); // another program's
        ListAppender<ILoggingEvent> logs = capture();
        List<Firing> seen = new CopyOnWriteArrayList<>();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add).start()) {
            addFiring(redis, keys, 1, "1-0");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 1);
            // the key repaired (deleted), then a processor's firing: the group is made there and it is delivered
            redis.getKeys().delete(keys.firings(0));
            addFiring(redis, keys, 0, "2-0");
            await().atMost(Duration.ofSeconds(10)).until(() -> c.handled() == 2);
            assertThat(seen).extracting(Firing::partition).containsExactly(1, 0);
        } finally {
            release(logs);
        }
        assertThat(warnings(logs)).filteredOn(m -> m.contains(keys.firings(0)))
                .singleElement().asString().contains("holds another type than a stream");
    }

    @Test
    void dataLostAndOnePartitionsFiringsKeyOfAnotherType_theGroupIsMadeOnTheOthers_andTheirFiringsHandled() {
        namespace(2);
        List<Firing> seen = new CopyOnWriteArrayList<>();
        ListAppender<ILoggingEvent> logs = capture();
        try (FiringsConsumer c = RedisFiringsConsumer.builder(redis, config, "audit", seen::add)
                .claimIdle(Duration.ofMillis(100)).start()) {
            redis.getKeys().delete(keys.firings(0), keys.firings(1)); // Redis lost its data
            redis.getBucket(keys.firings(0), StringCodec.INSTANCE).set("junk");
            addFiring(redis, keys, 1, "1-0");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.handled() == 1);
            assertThat(seen).extracting(Firing::cause).containsExactly("1-0");
            assertThat(pending(redis, keys, 1, "audit")).isZero();
        } finally {
            release(logs);
        }
        assertThat(warnings(logs)).noneMatch(m -> m.contains("retrying in 1 s"))
                .filteredOn(m -> m.contains(keys.firings(0))).hasSize(1);
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(RedisFiringsConsumer.class)).addAppender(logs);
        return logs;
    }

    private static void release(ListAppender<ILoggingEvent> logs) {
        ((Logger) LoggerFactory.getLogger(RedisFiringsConsumer.class)).detachAppender(logs);
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> logs) {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /**
     * firings_claim.lua learns each claimed firing's delivery count from XPENDING over the claimed ids'
     * range; a range that also holds more than 1000 other pending firings of this consumer must not hide
     * a count (a poison firing would then be redelivered as if new, and never dead-lettered).
     */
    @Test
    void claimedFiringsFarApartAmongManyFreshOnes_bothDeadLetterOnTheirDeliveryCount() {
        namespace(1);
        String stream = keys.firings(0);
        org.redisson.api.RScript script = redis.getScript(StringCodec.INSTANCE);
        // 1500 firings read by consumer c (fresh), then the first and the last made idle, delivered 9 times
        List<Object> ends = script.eval(org.redisson.api.RScript.Mode.READ_WRITE, """
                redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0', 'MKSTREAM')
                for i = 1, 1500 do
                  redis.call('XADD', KEYS[1], '*', 'firing_id', 'T:' .. i, 'trigger', 'T', 'kind', 'time',
                    'cause', tostring(i), 'fired_at', '1')
                end
                local read = redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1500, 'STREAMS', KEYS[1], '>')
                local first, last = read[1][2][1][1], read[1][2][1500][1]
                redis.call('XCLAIM', KEYS[1], 'g', 'c', 0, first, last, 'IDLE', 100000, 'RETRYCOUNT', 9)
                return {first, last}
                """, org.redisson.api.RScript.ReturnType.LIST, List.of(stream));
        io.tally.common.internal.redis.LuaScript claim = io.tally.common.internal.redis.LuaScript.resource("firings_claim");
        claim.load(redis);
        List<Object> r = claim.eval(redis, StringCodec.INSTANCE, org.redisson.api.RScript.ReturnType.LIST,
                List.of(stream, keys.firingsDlq(0), keys.firingsErrors(0)), "g", "c", 50_000, 5, 1000, "0-0", 200);

        assertThat(String.valueOf(r.get(1))).as("dead-lettered").isEqualTo("2");
        assertThat(all(redis.getStream(keys.firingsDlq(0), StringCodec.INSTANCE)))
                .extracting(m -> m.get("source_id")).containsExactly(String.valueOf(ends.get(0)), String.valueOf(ends.get(1)));
        assertThat(r.size()).as("nothing left to deliver").isEqualTo(4);
        assertThat(pending(redis, keys, 0, "g")).isEqualTo(1498);
    }
}
