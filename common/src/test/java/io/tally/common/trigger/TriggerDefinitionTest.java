package io.tally.common.trigger;

import io.tally.common.internal.trigger.TriggerIds;
import io.tally.common.internal.trigger.TriggerJson;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TriggerDefinitionTest {

    private static void rejected(String json, String field, String text) {
        assertThatThrownBy(() -> TriggerJson.parseDefinition(json))
                .isInstanceOf(InvalidTriggerException.class)
                .hasMessageContaining("'" + field + "'").hasMessageContaining(text)
                .extracting(e -> ((InvalidTriggerException) e).field()).isEqualTo(field);
    }

    @Test
    void invalidDefinitions_areRejectedNamingTheField() {
        rejected("{\"kind\":\"sometimes\"}", "kind", "unknown kind 'sometimes'");
        rejected("{\"eventType\":\"click\"}", "kind", "missing");
        rejected("{\"kind\":\"event\"}", "eventType", "missing");
        rejected("{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\"}", "value", "missing");
        rejected("{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">\",\"value\":1}", "op", "unknown op '>'");
        rejected("{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":9007199254740993}", "value", "2^53");
        rejected("{\"kind\":\"time\",\"at\":1,\"every\":50}", "every", "below the minimum of 100 ms");
        rejected("{\"kind\":\"time\",\"at\":\"tomorrow\"}", "at", "ISO-8601");
        rejected("{\"kind\":\"time\",\"at\":1,\"mode\":\"every\"}", "mode", "without 'every'");
        rejected("{\"kind\":\"event\",\"eventType\":\"click\",\"counter\":\"c\"}", "counter", "does not apply");
        rejected("{\"kind\":\"event\",\"eventType\":\"click\",\"params\":{\"n\":1}}", "params.n", "string value");
        rejected("{\"kind\":\"event\",\"eventType\":\"click\",\"colour\":\"red\"}", "colour", "unknown field");
        rejected("{\"kind\":\"event\",\"eventType\":\"click\",\"status\":\"fired\"}", "status", "set by Tally");
    }

    @Test
    void onceTimeTriggerInThePast_isRejectedNamingAt() {
        TriggerDefinition d = TriggerDefinition.time(1_000).build();
        assertThatThrownBy(() -> d.checkNotInPast(2_000)).isInstanceOf(InvalidTriggerException.class)
                .hasMessageContaining("'at'").hasMessageContaining("1000 ms in the past");
        TriggerDefinition.time(1_000).every(100L).build().checkNotInPast(2_000); // repeating: allowed
    }

    @Test
    void definition_roundTripsThroughJson_andModeFollowsEveryForTimeTriggers() {
        TriggerDefinition d = TriggerJson.parseDefinition("{\"kind\":\"time\",\"at\":\"2030-01-01T00:00:00Z\","
                + "\"every\":60000,\"params\":{\"job\":\"report\"}}");
        assertThat(d.mode()).isEqualTo(TriggerMode.EVERY);
        assertThat(d.at()).isEqualTo(1893456000000L);
        String stored = TriggerJson.writeDefinition("t3-01ARZ3NDEKTSV4RRFFQ69G5FAV", d);
        assertThat(TriggerJson.parseStored(stored)).isEqualTo(d);
        TriggerDefinition t = TriggerJson.parseDefinition(
                "{\"kind\":\"threshold\",\"counter\":\"clicks\",\"op\":\"<=\",\"value\":-5}");
        assertThat(t.mode()).isEqualTo(TriggerMode.ONCE);
        assertThat(TriggerJson.parseStored(TriggerJson.writeDefinition(null, t))).isEqualTo(t);
    }

    @Test
    void ids_nameThePartitionOfTheirRoutingKey() {
        var partitioner = new io.tally.common.internal.keys.Partitioner(16);
        String id = TriggerIds.newId(TriggerDefinition.event("click").build(), partitioner, 1_700_000_000_000L);
        assertThat(TriggerIds.partitionOf(id, 16)).isEqualTo(partitioner.partitionOf("click"));
        String timeId = TriggerIds.newId(TriggerDefinition.time(5).build(), partitioner, 1_700_000_000_000L);
        assertThat(TriggerIds.partitionOf(timeId, 16))
                .isEqualTo(partitioner.partitionOf(timeId.substring(timeId.indexOf('-') + 1)));
        assertThatThrownBy(() -> TriggerIds.partitionOf("t99-01ARZ3NDEKTSV4RRFFQ69G5FAV", 16))
                .hasMessageContaining("'id'").hasMessageContaining("16 partitions");
        assertThatThrownBy(() -> TriggerIds.partitionOf("x1-abc", 16)).hasMessageContaining("not a trigger id");
    }
}
