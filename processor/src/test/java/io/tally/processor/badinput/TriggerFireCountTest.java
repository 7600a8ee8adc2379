package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * apply.lua saves a trigger's fire count after the batch's other writes, so nothing stored there may fail
 * it: a count someone else wrote that is not an integer counts as 0, and the batch completes with its
 * reply (a once trigger then fires once, never again on the next batch). apply.lua and time_fire.lua read
 * a stored count by one rule (include/firing.lua): a canonical integer in [0, 2^53) is added to, anything
 * else counts as 0.
 */
class TriggerFireCountTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String trigger(String field) {
        return text(h.redis.call("HGET", h.keys.triggers(PART), field));
    }

    private void onceThresholdTriggerOnC(String storedFireCount) {
        h.redis.call("HSET", h.keys.triggers(PART),
                "T", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":1,\"mode\":\"once\"}",
                "T:status", "active", "T:armed", "1", "T:fireCount", storedFireCount);
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "T");
    }

    private Object incrC() {
        h.xadd(h.keys.ops(PART), "*", fields("op", "incr", "counter", "c", "by", "1"));
        return h.apply(LEASE, ">", "");
    }

    @Test
    void aStoredFireCountThatIsNotANumber_doesNotFailTheBatch_andCountsFromZero() {
        onceThresholdTriggerOnC("x");
        Object reply = incrC();
        assertThat(reply).as("reply to a batch that was applied").isInstanceOf(List.class);
        assertThat(text(((List<?>) reply).get(17))).isEqualTo("threshold=1");
        assertThat(text(h.redis.call("HGET", h.keys.counters(PART), "c"))).isEqualTo("1");
        assertThat(trigger("T:fireCount")).isEqualTo("1");
        assertThat(trigger("T:status")).isEqualTo("fired");
    }

    @Test
    void aOnceThresholdTrigger_firesOnce_whateverItsStoredFireCount() {
        for (String stored : List.of("x", "1.5", "99999999999999999999", "-0")) {
            h.reset();
            onceThresholdTriggerOnC(stored);
            for (int i = 0; i < 3; i++) {
                incrC();
            }
            assertThat(text(h.redis.call("HGET", h.keys.counters(PART), "c"))).isEqualTo("3");
            assertThat(h.redis.call("XLEN", h.keys.firings(PART))).as("firings of a once trigger, stored " + stored)
                    .isEqualTo(1L);
            assertThat(trigger("T:fireCount")).isEqualTo("1");
        }
    }

    @Test
    void aStoredFireCount_isAddedTo() {
        h.redis.call("HSET", h.keys.triggers(PART), "E", "{\"kind\":\"event\",\"eventType\":\"t\",\"mode\":\"every\"}",
                "E:status", "active", "E:fireCount", "41");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E");
        h.xadd(h.keys.events(PART), "*", fields("type", "t"));
        h.xadd(h.keys.events(PART), "*", fields("type", "t"));
        assertThat(h.apply(LEASE, "", ">")).isInstanceOf(List.class);
        assertThat(trigger("E:fireCount")).isEqualTo("43");
        assertThat(trigger("E:lastFiredAt")).matches("[1-9][0-9]{12}");
    }

    /** The fireCount an event trigger stores after one firing through apply.lua, from the given stored one. */
    private String fireCountAfterAnEventFiring(String stored) {
        h.reset();
        h.redis.call("HSET", h.keys.triggers(PART), "E", "{\"kind\":\"event\",\"eventType\":\"t\",\"mode\":\"every\"}",
                "E:status", "active", "E:fireCount", stored);
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E");
        h.xadd(h.keys.events(PART), "*", fields("type", "t"));
        assertThat(h.apply(LEASE, "", ">")).isInstanceOf(List.class);
        assertThat(h.redis.call("XLEN", h.keys.firings(PART))).isEqualTo(1L);
        return trigger("E:fireCount");
    }

    /** The fireCount a repeating time trigger stores after one firing through time_fire.lua. */
    private String fireCountAfterATimeFiring(String stored) {
        h.reset();
        h.redis.call("HSET", h.keys.triggers(PART), "A", "{\"kind\":\"time\",\"every\":1000}", "A:status", "active",
                "A:fireCount", stored);
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "A");
        Object reply = h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10);
        assertThat(text(((List<?>) reply).get(1))).as("fired").isEqualTo("1");
        return trigger("A:fireCount");
    }

    @Test
    void aStoredFireCount_isReadByOneRule_inApplyAndInTimeFire() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("0", "1");
        expected.put("7", "8");
        expected.put("9007199254740991", "9007199254740992"); // 2^53 - 1: the largest one added to
        expected.put("007", "1");
        expected.put("-1", "1");
        expected.put("-0", "1");
        expected.put("1e3", "1");
        expected.put(" 7", "1");
        expected.put("7 ", "1");
        expected.put("+7", "1");
        expected.put("9007199254740992", "1"); // 2^53
        expected.put("99999999999999999999", "1");
        expected.put("", "1");
        expected.forEach((stored, after) -> {
            assertThat(fireCountAfterAnEventFiring(stored)).as("apply.lua, stored '" + stored + "'").isEqualTo(after);
            assertThat(fireCountAfterATimeFiring(stored)).as("time_fire.lua, stored '" + stored + "'").isEqualTo(after);
        });
    }
}
