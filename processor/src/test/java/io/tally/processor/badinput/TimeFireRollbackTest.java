package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A repeating time trigger after Redis rolled back (a failover to a replica that missed the last
 * writes, a restart from an older snapshot): the trigger fires again from the first period the rolled
 * back state had not fired, merged with the periods since into one firing. That firing names the newest
 * period it stands for, so a consumer that drops duplicates by firing_id, as docs/triggers.md says, still
 * learns of every period (it failed when a merged firing named its oldest period: the refiring then had
 * the id of the first firing the consumer had already handled).
 */
class TimeFireRollbackTest {
    private static final int EVERY_MS = 20;

    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    @Test
    void afterARollback_everyPeriodReachesAConsumerThatDropsDuplicateFiringIds() throws Exception {
        long now = redisMillis();
        h.redis.call("HSET", h.keys.triggers(PART), "R", "{\"kind\":\"time\",\"mode\":\"every\",\"every\":" + EVERY_MS + "}",
                "R:status", "active");
        h.redis.call("ZADD", h.keys.schedule(PART), String.valueOf(now - 1), "R");
        Object triggers = h.redis.call("DUMP", h.keys.triggers(PART));
        Object schedule = h.redis.call("DUMP", h.keys.schedule(PART));

        Map<String, Long> consumer = new LinkedHashMap<>(); // firing_id -> missed, duplicates dropped
        fireAndConsume(consumer);
        Thread.sleep(3 * EVERY_MS);
        fireAndConsume(consumer);
        // Redis rolls back to before both firings (the consumer has handled them)
        h.redis.call("RESTORE", h.keys.triggers(PART), "0", triggers, "REPLACE");
        h.redis.call("RESTORE", h.keys.schedule(PART), "0", schedule, "REPLACE");
        Thread.sleep(6 * EVERY_MS);
        long lastFire = fireAndConsume(consumer);

        // the periods (due times) the consumer learned of: cause, and 'missed' more on the grid before it
        TreeSet<Long> covered = new TreeSet<>();
        consumer.forEach((id, missed) -> {
            long cause = Long.parseLong(id.substring(id.indexOf(':') + 1));
            for (long k = 0; k <= missed; k++) {
                covered.add(cause - k * EVERY_MS);
            }
        });
        for (long due = now - 1; due <= lastFire; due += EVERY_MS) {
            assertThat(covered).as("period %s reached the consumer (firings kept: %s)", due, consumer).contains(due);
        }
    }

    /** Fires, hands the new firings to the deduplicating consumer, and returns Redis time of the call. */
    private long fireAndConsume(Map<String, Long> consumer) {
        String last = lastId();
        List<?> reply = (List<?>) h.eval("time_fire", h.timeFireKeys(), LEASE, 10);
        assertThat(text(reply.get(1))).as("fired").isEqualTo("1");
        long at = redisMillis();
        List<?> entries = (List<?>) h.redis.call("XRANGE", h.keys.firings(PART), last == null ? "-" : "(" + last, "+");
        for (Object e : entries) {
            List<?> f = (List<?>) ((List<?>) e).get(1);
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 0; i + 1 < f.size(); i += 2) {
                fields.put(text(f.get(i)), text(f.get(i + 1)));
            }
            consumer.putIfAbsent(fields.get("firing_id"), Long.parseLong(fields.get("missed")));
        }
        return at - 1; // due times up to the call's Redis time are fired
    }

    private String lastId() {
        Object top = h.redis.call("XREVRANGE", h.keys.firings(PART), "+", "-", "COUNT", "1");
        List<?> l = (List<?>) top;
        return l == null || l.isEmpty() ? null : text(((List<?>) l.get(0)).get(0));
    }

    private long redisMillis() {
        List<?> t = (List<?>) h.redis.call("TIME");
        return Long.parseLong(text(t.get(0))) * 1000 + Long.parseLong(text(t.get(1))) / 1000;
    }
}
