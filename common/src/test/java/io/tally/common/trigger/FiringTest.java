package io.tally.common.trigger;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FiringTest {
    private static Map<String, String> timeFiring() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("firing_id", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:1893456000000");
        f.put("trigger", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV");
        f.put("kind", "time");
        f.put("cause", "1893456000000");
        f.put("fired_at", "1893456000042");
        f.put("missed", "2");
        f.put("p.campaign", "spring");
        f.put("p.who", "ops");
        return f;
    }

    @Test
    void fromFields_readsEveryField_andToFieldsGivesTheEntryBack() {
        Firing f = Firing.fromFields(3, "1893456000042-0", timeFiring());

        assertThat(f).isEqualTo(new Firing(3, "1893456000042-0", "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:1893456000000",
                "t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", TriggerKind.TIME, "1893456000000", 1893456000042L, 2,
                Map.of("campaign", "spring", "who", "ops")));
        assertThat(f.toFields()).containsExactlyEntriesOf(timeFiring());
    }

    @Test
    void anEventFiring_hasNoMissed_andWritesNone() {
        Map<String, String> fields = timeFiring();
        fields.remove("missed");
        fields.put("kind", "event");

        Firing f = Firing.fromFields(0, "1-0", fields);

        assertThat(f.missed()).isEqualTo(-1);
        assertThat(f.toFields()).doesNotContainKey("missed").containsExactlyEntriesOf(fields);
    }

    @Test
    void aMissingOrMalformedField_isAnIllegalArgumentNamingIt() {
        for (String required : new String[]{"firing_id", "trigger", "kind", "cause", "fired_at"}) {
            Map<String, String> fields = timeFiring();
            fields.remove(required);
            assertThatThrownBy(() -> Firing.fromFields(0, "1-0", fields)).as(required)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'" + required + "'");
        }
        Map<String, String> badNumber = timeFiring();
        badNumber.put("fired_at", "soon");
        assertThatThrownBy(() -> Firing.fromFields(2, "5-0", badNumber)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("firing 5-0 on partition 2 has a malformed number");
        Map<String, String> badMissed = timeFiring();
        badMissed.put("missed", "99999999999999999999");
        assertThatThrownBy(() -> Firing.fromFields(2, "5-0", badMissed)).isInstanceOf(IllegalArgumentException.class);
        Map<String, String> badKind = timeFiring();
        badKind.put("kind", "sometimes");
        assertThatThrownBy(() -> Firing.fromFields(2, "5-0", badKind)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sometimes");
    }
}
