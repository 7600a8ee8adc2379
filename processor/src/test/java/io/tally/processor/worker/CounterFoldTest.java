package io.tally.processor.worker;

import io.tally.common.keys.Partitioner;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CounterFoldTest {
    private static final int P = 4;
    private final int home = new Partitioner(P).partitionOf("a");
    private final CounterNames names = new CounterNames(home, P);
    private final String b = sameHome("a");

    @Test
    void foldsDeltasPerCounterInFirstAppearanceOrder() {
        CounterFold fold = CounterFold.of(List.of(
                op("incr", "a", "by", "5"),
                op("decr", b, "by", "2"),
                op("incr", "a"),
                op("decr", "a", "by", "10")), names);
        assertThat(pairs(fold)).containsExactly("a", "-4", b, "-2");
        // running sums of a: 5, 6, -4; of b: -2
        assertThat(fold.bound()).isEqualTo(6);
    }

    @Test
    void aSetMakesTheChangeAbsoluteAndFoldsWhatFollows() {
        CounterFold fold = CounterFold.of(List.of(
                op("incr", "a", "by", "7"),
                op("set", "a", "value", "100"),
                op("incr", "a", "by", "3"),
                op("reset", b),
                op("decr", b, "by", "4")), names);
        assertThat(pairs(fold)).containsExactly("a", "=103", b, "=-4");
        // only the part before the first set is relative to the stored value
        assertThat(fold.bound()).isEqualTo(7);
    }

    @Test
    void keepsSixtyFourBitValuesExactAfterASet() {
        CounterFold fold = CounterFold.of(List.of(
                op("set", "a", "value", "9223372036854775800"),
                op("incr", "a", "by", "7")), names);
        assertThat(pairs(fold)).containsExactly("a", "=9223372036854775807");
    }

    @Test
    void leavesToTheScriptWhatItMustJudgeEntryByEntry() {
        List<Map<String, String>> cases = List.of(
                op("unique", "a", "member", "m"),
                withField(op("incr", "a"), "windows", "1m"),
                withField(op("incr", "a"), "v", "2"),
                op("incr", "a", "by", "+5"),
                op("incr", "a", "by", "05"),
                op("incr", "a", "by", "-0"),
                op("incr", "a", "by", "9223372036854775808"),
                op("decr", "a", "by", "-9223372036854775808"),
                op("set", "a"),
                op("launch", "a"),
                withField(op("incr", "a"), "ts", "12x"),
                withField(op("incr", "a"), "id", ""),
                op("incr", "a\u0007"),
                op("incr", "a\uFFFD"),
                op("incr", "x".repeat(201)),
                op("incr", otherHome()),
                Map.of("counter", "a"));
        for (Map<String, String> entry : cases) {
            assertThat(CounterFold.of(List.of(op("incr", "a"), entry), names)).as(entry.toString()).isNull();
        }
    }

    @Test
    void leavesAnOverflowingBatchToTheScript() {
        assertThat(CounterFold.of(List.of(
                op("set", "a", "value", "9223372036854775807"),
                op("incr", "a", "by", "1")), names)).isNull();
        assertThat(CounterFold.of(List.of(
                op("incr", "a", "by", "9223372036854775807"),
                op("incr", "a", "by", "1")), names)).isNull();
        // a running sum the script could not prove safe against any stored value
        assertThat(CounterFold.of(List.of(op("incr", "a", "by", Long.toString(CounterFold.MAX_BOUND))), names)).isNull();
    }

    @Test
    void acceptsOptionalFieldsThatFollowTheRules() {
        Map<String, String> entry = withField(withField(withField(op("incr", "a", "by", "-3"), "ts", "1732345678901"),
                "id", "op-1"), "v", "1");
        assertThat(pairs(CounterFold.of(List.of(entry), names))).containsExactly("a", "-3");
    }

    private static Map<String, String> op(String op, String counter, String... more) {
        Map<String, String> f = new HashMap<>();
        f.put("op", op);
        f.put("counter", counter);
        for (int i = 0; i < more.length; i += 2) {
            f.put(more[i], more[i + 1]);
        }
        return f;
    }

    private static Map<String, String> withField(Map<String, String> entry, String field, String value) {
        Map<String, String> f = new HashMap<>(entry);
        f.put(field, value);
        return f;
    }

    private static List<String> pairs(CounterFold fold) {
        assertThat(fold).isNotNull();
        String pairs = fold.pairs();
        assertThat(pairs).endsWith("\n");
        return List.of(pairs.split("\n"));
    }

    private String sameHome(String not) {
        Partitioner partitioner = new Partitioner(P);
        for (int i = 0; ; i++) {
            String name = "k" + i;
            if (partitioner.partitionOf(name) == home && !name.equals(not)) {
                return name;
            }
        }
    }

    private String otherHome() {
        Partitioner partitioner = new Partitioner(P);
        for (int i = 0; ; i++) {
            String name = "k" + i;
            if (partitioner.partitionOf(name) != home) {
                return name;
            }
        }
    }
}
