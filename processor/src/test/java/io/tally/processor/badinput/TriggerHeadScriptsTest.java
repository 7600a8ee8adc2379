package io.tally.processor.badinput;

import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A trigger's head ('<id>:head', its definition without params): apply.lua decides from heads which triggers
 * fire and reads a definition, for its params, only when its trigger fires; a trigger stored without a head
 * fires from its definition; a head or definition some other program wrote gives the outcome a broken
 * definition gives; create writes the head, and cancel, a once trigger's firing and retention remove it.
 */
class TriggerHeadScriptsTest {
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private static final String EVENT_DEF = "{\"kind\":\"event\",\"mode\":\"every\",\"eventType\":\"t\","
            + "\"match\":{\"k\":\"v\"},\"params\":{\"a\":\"from the definition\"}}";
    private static final String EVENT_HEAD = "{\"kind\":\"event\",\"mode\":\"every\",\"eventType\":\"t\","
            + "\"match\":{\"k\":\"v\"}}";

    private String field(String name) {
        return text(h.redis.call("HGET", h.keys.triggers(PART), name));
    }

    /** An event trigger on type 't' stored as the trigger API stores it: definition, head, state, index entry. */
    private void storeEventTrigger(String id, String definition, String head) {
        h.redis.call("HSET", h.keys.triggers(PART), id, definition, id + ":head", head, id + ":status", "active",
                id + ":fireCount", "0", id + ":createdAt", "1");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", id);
    }

    private void emit(Object... params) {
        List<Object> f = new ArrayList<>(List.of("type", "t"));
        for (int i = 0; i < params.length; i += 2) {
            f.add("p." + params[i]);
            f.add(params[i + 1]);
        }
        h.xadd(h.keys.events(PART), "*", fields(f.toArray()));
    }

    private List<?> apply() {
        Object reply = h.apply(LEASE, ">", ">");
        assertThat(reply).as("apply reply").isInstanceOf(List.class);
        assertThat(text(((List<?>) reply).get(0))).isEqualTo("OK");
        return (List<?>) reply;
    }

    /** The firings of the partition in order, each as its fields. */
    private List<Map<String, String>> firings() {
        List<Map<String, String>> out = new ArrayList<>();
        for (Object entry : (List<?>) h.redis.call("XRANGE", h.keys.firings(PART), "-", "+")) {
            Map<String, String> f = new LinkedHashMap<>();
            for (String[] pair : RawRedis.pairs(((List<?>) entry).get(1))) {
                f.put(pair[0], pair[1]);
            }
            out.add(f);
        }
        return out;
    }

    private static Map<String, String> params(Map<String, String> firing) {
        Map<String, String> out = new LinkedHashMap<>();
        firing.forEach((k, v) -> {
            if (k.startsWith("p.")) {
                out.put(k.substring(2), v);
            }
        });
        return out;
    }

    private List<String> createKeys() {
        List<String> keys = new ArrayList<>(h.triggerKeys());
        keys.add(h.keys.counters(PART));
        return keys;
    }

    // ---------- creating ----------

    @Test
    void create_storesTheHeadBesideTheDefinition_forEventAndThresholdTriggers_notForTimeTriggers() {
        TriggerDefinition event = TriggerDefinition.event("t").match("k", "v").param("a", "1").build();
        TriggerDefinition threshold = TriggerDefinition.threshold("c", ThresholdOp.GTE, 5).param("a", "1").build();
        h.runAtomically("trigger_create", createKeys(), "E", "event", TriggerJson.writeDefinition("E", event), "t", "",
                "", "", "", "100", TriggerJson.writeHead("E", event));
        h.runAtomically("trigger_create", createKeys(), "C", "threshold", TriggerJson.writeDefinition("C", threshold),
                "c", ">=", "5", "", "", "100", TriggerJson.writeHead("C", threshold));
        h.runAtomically("trigger_create", createKeys(), "T", "time", "{\"kind\":\"time\",\"at\":1}", "", "", "", "1",
                "", "100", "");

        assertThat(field("E:head")).isEqualTo("{\"id\":\"E\",\"kind\":\"event\",\"mode\":\"once\",\"eventType\":\"t\","
                + "\"match\":{\"k\":\"v\"}}");
        assertThat(field("C:head")).isEqualTo("{\"id\":\"C\",\"kind\":\"threshold\",\"mode\":\"once\",\"counter\":\"c\","
                + "\"op\":\">=\",\"value\":5}");
        assertThat(field("E")).contains("\"params\":{\"a\":\"1\"}");
        assertThat(field("T:head")).isNull();
        assertThat(field(":count")).isEqualTo("3");
    }

    // ---------- firing ----------

    @Test
    void theHeadDecidesWhetherATriggerFires_andTheFiringCarriesTheParamsOfTheDefinition() {
        // the head matches k=v, the definition k=other: a script deciding from the definition would not fire
        storeEventTrigger("E", EVENT_DEF.replace("\"k\":\"v\"", "\"k\":\"other\""),
                "{\"kind\":\"event\",\"mode\":\"every\",\"match\":{\"k\":\"v\"},\"params\":{\"a\":\"from the head\"}}");
        emit("k", "v");
        emit("k", "other");
        emit("k", "v");

        List<?> reply = apply();

        List<Map<String, String>> firings = firings();
        assertThat(firings).hasSize(2);
        for (Map<String, String> f : firings) {
            assertThat(f.get("trigger")).isEqualTo("E");
            assertThat(params(f)).containsExactly(Map.entry("a", "from the definition"));
        }
        assertThat(text(reply.get(reply.size() - 2))).isEqualTo("event=2");
        assertThat(field("E:fireCount")).isEqualTo("2");
        assertThat(field("E:head")).as("an every trigger keeps its head").isNotNull();
    }

    @Test
    void paramsAtTheirCaps_areCopiedExactly() {
        TriggerDefinition.Builder b = TriggerDefinition.event("t").mode(TriggerMode.EVERY)
                .match("k", "v".repeat(1000)).match("k2", "w".repeat(1000));
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            String value = i + "é\"\\\u0001".repeat(100) + "z".repeat(500);
            b.param("p" + i, value);
            expected.put("p" + i, value);
        }
        TriggerDefinition def = b.build();
        storeEventTrigger("E", TriggerJson.writeDefinition("E", def), TriggerJson.writeHead("E", def));
        assertThat(field("E:head")).doesNotContain("params");
        emit("k", "v".repeat(1000), "k2", "w".repeat(1000));

        apply();

        assertThat(firings()).singleElement().satisfies(f -> assertThat(params(f)).isEqualTo(expected));
    }

    @Test
    void aTriggerStoredWithoutAHead_firesFromItsDefinition() {
        // the layout of triggers created before heads: definition and state only
        h.redis.call("HSET", h.keys.triggers(PART), "E", EVENT_DEF.replace("every", "once"), "E:status", "active",
                "E:fireCount", "0", "C", "{\"kind\":\"threshold\",\"mode\":\"every\",\"counter\":\"c\",\"op\":\">=\","
                        + "\"value\":2,\"params\":{\"b\":\"2\"}}", "C:status", "active", "C:fireCount", "0", "C:armed", "1");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E");
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "C");
        emit("k", "v");
        h.xadd(h.keys.ops(PART), "*", fields("op", "incr", "counter", "c", "by", "3"));

        apply();

        List<Map<String, String>> firings = firings();
        assertThat(firings).extracting(f -> f.get("trigger")).containsExactlyInAnyOrder("E", "C");
        for (Map<String, String> f : firings) {
            assertThat(params(f)).isEqualTo(f.get("trigger").equals("E") ? Map.of("a", "from the definition")
                    : Map.of("b", "2"));
        }
        assertThat(field("E:status")).isEqualTo("fired");
        assertThat(field("C:armed")).isEqualTo("0");
        assertThat(h.redis.call("HGET", h.keys.triggersByEvent(PART), "t")).as("the fired once trigger is pruned").isNull();
    }

    @Test
    void aThresholdTriggerWithAHead_firesWithTheParamsOfItsDefinition_andDisarms() {
        h.redis.call("HSET", h.keys.triggers(PART), "C", "{\"kind\":\"threshold\",\"mode\":\"every\",\"counter\":\"c\","
                        + "\"op\":\">=\",\"value\":2,\"params\":{\"b\":\"2\"}}",
                "C:head", "{\"kind\":\"threshold\",\"mode\":\"every\",\"counter\":\"c\",\"op\":\">=\",\"value\":2}",
                "C:status", "active", "C:fireCount", "0", "C:armed", "1");
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "C");
        for (int i = 0; i < 3; i++) {
            h.xadd(h.keys.ops(PART), "*", fields("op", "incr", "counter", "c"));
        }

        apply();

        assertThat(firings()).singleElement().satisfies(f -> assertThat(params(f)).isEqualTo(Map.of("b", "2")));
        assertThat(field("C:armed")).isEqualTo("0");
        assertThat(field("C:fireCount")).isEqualTo("1");
    }

    // ---------- heads and definitions another program wrote ----------

    @ParameterizedTest
    @ValueSource(strings = {"{broken", "[1,2]", "5", "null", "\"text\"", "{}", "{\"kind\":5,\"match\":{\"k\":\"v\"}}",
            "{\"kind\":\"threshold\",\"op\":\">=\",\"value\":\"NaN\"}", "{\"kind\":\"threshold\",\"op\":\"=\",\"value\":1}"})
    void aHeadThatIsNoTriggerHead_leavesTheTriggerAlone_andTheBatchApplies(String head) {
        storeEventTrigger("E", EVENT_DEF, head);
        h.redis.call("HSET", h.keys.triggers(PART), "C:head", head, "C", "{\"kind\":\"threshold\",\"counter\":\"c\","
                + "\"op\":\">=\",\"value\":1}", "C:status", "active", "C:armed", "1");
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "C");
        emit("k", "v");
        h.xadd(h.keys.ops(PART), "*", fields("op", "incr", "counter", "c"));

        List<?> reply = apply();

        assertThat(text(reply.get(3))).as("ops applied").isEqualTo("1");
        assertThat(text(reply.get(11))).as("events applied").isEqualTo("1");
        assertThat(h.redis.call("EXISTS", h.keys.firings(PART))).as("no firing").isEqualTo(0L);
        assertThat(field("E:status")).isEqualTo("active");
        assertThat(field("C:armed")).isEqualTo("1");
        assertThat(text(h.redis.call("HGET", h.keys.triggersByEvent(PART), "t"))).isEqualTo("E");
        assertThat(text(h.redis.call("HGET", h.keys.triggersByCounter(PART), "c"))).isEqualTo("C");
        assertThat(text(h.redis.call("HGET", h.keys.counters(PART), "c"))).isEqualTo("1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{broken", "[1,2]", "5", "null"})
    void aDefinitionThatDoesNotDecode_behindAMatchingHead_leavesTheTriggerAlone(String definition) {
        storeEventTrigger("E", definition, EVENT_HEAD.replace("every", "once"));
        storeEventTrigger("F", EVENT_DEF, EVENT_HEAD);
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E F");
        emit("k", "v");
        emit("k", "v");

        List<?> reply = apply();

        assertThat(text(reply.get(11))).as("events applied").isEqualTo("2");
        assertThat(firings()).extracting(f -> f.get("trigger")).containsExactly("F", "F");
        assertThat(field("E:status")).isEqualTo("active");
        assertThat(field("E:fireCount")).isEqualTo("0");
        assertThat(field("E:head")).isNotNull();
        assertThat(text(h.redis.call("HGET", h.keys.triggersByEvent(PART), "t"))).isEqualTo("E F");
    }

    @Test
    void aHeadWhoseDefinitionIsMissing_firesNothing_andLeavesTheIndex_asAMissingDefinitionDoes() {
        h.redis.call("HSET", h.keys.triggers(PART), "E:head", EVENT_HEAD, "E:status", "active");
        storeEventTrigger("F", EVENT_DEF, EVENT_HEAD);
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "E F");
        emit("k", "v");

        apply();

        assertThat(firings()).extracting(f -> f.get("trigger")).containsExactly("F");
        assertThat(text(h.redis.call("HGET", h.keys.triggersByEvent(PART), "t"))).isEqualTo("F");
        assertThat(field("E:status")).isEqualTo("active");
    }

    // ---------- the head leaves with the trigger's activity ----------

    @Test
    void aOnceTriggerThatFires_losesItsHeadAndIndexEntry_andKeepsItsDefinition() {
        storeEventTrigger("E", EVENT_DEF.replace("every", "once"), EVENT_HEAD.replace("every", "once"));
        emit("k", "v");
        emit("k", "v");

        apply();

        assertThat(firings()).hasSize(1);
        assertThat(field("E:status")).isEqualTo("fired");
        assertThat(field("E:head")).isNull();
        assertThat(field("E")).isEqualTo(EVENT_DEF.replace("every", "once"));
        assertThat(h.redis.call("HGET", h.keys.triggersByEvent(PART), "t")).isNull();
    }

    @Test
    void cancel_deletesTheHeadAndArmedFlag_andKeepsTheDefinition() {
        h.redis.call("HSET", h.keys.triggers(PART), "C", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\","
                        + "\"value\":1}", "C:head", "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":1}",
                "C:status", "active", "C:armed", "1");
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "C");

        assertThat(text(((List<?>) h.runAtomically("trigger_cancel", h.triggerKeys(), "C")).get(0))).isEqualTo("OK");

        assertThat(field("C:status")).isEqualTo("canceled");
        assertThat(field("C:head")).isNull();
        assertThat(field("C:armed")).isNull();
        assertThat(field("C")).isNotNull();
        assertThat(h.redis.call("HGET", h.keys.triggersByCounter(PART), "c")).isNull();
    }

    @Test
    void retention_deletesAFinishedTriggersHead_andHeadsWithoutATrigger_andLeavesActiveOnes() {
        h.redis.call("HSET", h.keys.triggers(PART),
                // finished: a head left by a version that did not delete it when the trigger fired
                "X", EVENT_DEF, "X:head", EVENT_HEAD, "X:status", "fired", "X:lastFiredAt", "1", "X:fireCount", "1",
                // a head whose trigger a version that stored no heads deleted
                "Y:head", EVENT_HEAD,
                // active
                "A", EVENT_DEF, "A:head", EVENT_HEAD, "A:status", "active", "A:createdAt", "1",
                ":count", "2");

        List<?> reply = (List<?>) h.runAtomically("triggers_retention", List.of(h.keys.lease(PART),
                        h.keys.triggers(PART), h.keys.schedule(PART), h.keys.triggersByEvent(PART),
                        h.keys.triggersByCounter(PART)), LEASE, 1000, "0", 100);

        assertThat(text(reply.get(2))).as("deleted").isEqualTo("1");
        assertThat((List<?>) h.redis.call("HKEYS", h.keys.triggers(PART))).extracting(k -> text(k))
                .containsExactlyInAnyOrder("A", "A:head", "A:status", "A:createdAt", ":count");
        assertThat(field(":count")).isEqualTo("1");
    }
}
