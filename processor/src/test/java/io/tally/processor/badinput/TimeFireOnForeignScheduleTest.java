package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * time_fire.lua on a schedule (the time index) another program wrote: a member that names a trigger of
 * another kind is no time trigger to fire.
 */
class TimeFireOnForeignScheduleTest {
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    private String triggerField(String field) {
        return text(h.redis.call("HGET", h.keys.triggers(PART), field));
    }

    @Test
    void anEventTriggerListedInTheSchedule_neitherFiresNorFinishes_andLeavesTheSchedule() {
        h.redis.call("HSET", h.keys.triggers(PART), "E", "{\"kind\":\"event\",\"eventType\":\"click\",\"mode\":\"once\"}",
                "E:status", "active", "E:fireCount", "0");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "click", "E");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "E");

        List<?> reply = list(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));

        assertThat(text(reply.get(1))).as("fired").isEqualTo("0");
        assertThat(h.redis.call("EXISTS", h.keys.firings(PART))).as("no firing").isEqualTo(0L);
        assertThat(triggerField("E:status")).as("the event trigger stays armed for its events").isEqualTo("active");
        assertThat(triggerField("E:fireCount")).isEqualTo("0");
        assertThat(h.redis.call("ZCARD", h.keys.schedule(PART))).isEqualTo(0L);
    }
}
