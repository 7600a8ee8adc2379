package io.tally.processor.internal.batch;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.series.SeriesWindows;
import org.junit.jupiter.api.Test;
import org.redisson.api.stream.StreamMessageId;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CounterFoldTest {
    private static final int P = 4;
    private final int home = new Partitioner(P).partitionOf("a");
    private final CounterNames names = new CounterNames(home, P);
    private final String b = sameHome("a");
    /** Entry ids at 10:00:30.000 on 2026-11-23 UTC, 1 ms apart. */
    private static final long T0 = 1_795_428_030_000L;
    private final SeriesRules series = new SeriesRules(SeriesWindows.parse("1m=48h,1h=90d"), 60_000,
            InstantSource.fixed(Instant.ofEpochMilli(T0)));

    @Test
    void foldsDeltasPerCounterInFirstAppearanceOrder() {
        CounterFold fold = fold(List.of(
                op("incr", "a", "by", "5"),
                op("decr", b, "by", "2"),
                op("incr", "a"),
                op("decr", "a", "by", "10")));
        assertThat(pairs(fold)).containsExactly("a", "-4", b, "-2");
        // running sums of a: 5, 6, -4; of b: -2
        assertThat(fold.bound()).isEqualTo(6);
    }

    @Test
    void aSetMakesTheChangeAbsoluteAndFoldsWhatFollows() {
        CounterFold fold = fold(List.of(
                op("incr", "a", "by", "7"),
                op("set", "a", "value", "100"),
                op("incr", "a", "by", "3"),
                op("reset", b),
                op("decr", b, "by", "4")));
        assertThat(pairs(fold)).containsExactly("a", "=103", b, "=-4");
        // only the part before the first set is relative to the stored value
        assertThat(fold.bound()).isEqualTo(7);
    }

    @Test
    void keepsSixtyFourBitValuesExactAfterASet() {
        CounterFold fold = fold(List.of(
                op("set", "a", "value", "9223372036854775800"),
                op("incr", "a", "by", "7")));
        assertThat(pairs(fold)).containsExactly("a", "=9223372036854775807");
    }

    @Test
    void leavesToTheScriptWhatItMustJudgeEntryByEntry() {
        List<Map<String, String>> cases = List.of(
                op("unique", "a", "member", "m"),
                withField(op("set", "a", "value", "1"), "windows", "1m"),
                withField(op("incr", "a"), "windows", "1d"),
                withField(op("incr", "a"), "windows", "1m,1m"),
                withField(op("incr", "a"), "windows", ""),
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
            assertThat(fold(List.of(op("incr", "a"), entry))).as(entry.toString()).isNull();
        }
    }

    @Test
    void leavesAnOverflowingBatchToTheScript() {
        assertThat(fold(List.of(
                op("set", "a", "value", "9223372036854775807"),
                op("incr", "a", "by", "1")))).isNull();
        assertThat(fold(List.of(
                op("incr", "a", "by", "9223372036854775807"),
                op("incr", "a", "by", "1")))).isNull();
        // a running sum the script could not prove safe against any stored value
        assertThat(fold(List.of(op("incr", "a", "by", Long.toString(CounterFold.MAX_BOUND))))).isNull();
    }

    @Test
    void acceptsOptionalFieldsThatFollowTheRules() {
        Map<String, String> entry = withField(withField(withField(op("incr", "a", "by", "-3"), "ts", "1732345678901"),
                "id", "op-1"), "v", "1");
        assertThat(pairs(fold(List.of(entry)))).containsExactly("a", "-3");
    }

    @Test
    void foldsWindowedEntriesPerBucketAndCounter() {
        Map<String, String> late = withField(withField(op("incr", "a", "by", "9"), "windows", "1m"),
                "ts", Long.toString(T0 - 49L * 3_600_000));            // its 1m bucket ended 48 h ago
        CounterFold fold = fold(List.of(
                withField(op("incr", "a", "by", "5"), "windows", "1m,1h"),
                withField(op("decr", b, "by", "2"), "windows", "1m"),
                withField(withField(op("incr", "a", "by", "1"), "windows", "1m"), "ts", Long.toString(T0 - 60_000)),
                late,
                op("incr", "a", "by", "100")));
        assertThat(pairs(fold)).containsExactly("a", "115", b, "-2");
        long minute = T0 - T0 % 60_000;
        long hour = T0 - T0 % 3_600_000;
        assertThat(fold.buckets().cells()).isEqualTo(
                "1m:" + minute + "\na\n5\n" + "1m:" + minute + "\n" + b + "\n-2\n"
                        + "1h:" + hour + "\na\n5\n" + "1m:" + (minute - 60_000) + "\na\n1\n");
        assertThat(fold.buckets().deadlines()).isEqualTo(
                "1m:" + minute + "\n" + (minute + 60_000 + 48 * 3_600_000L) + "\n"
                        + "1h:" + hour + "\n" + (hour + 3_600_000 + 90 * 86_400_000L) + "\n"
                        + "1m:" + (minute - 60_000) + "\n" + (minute + 48 * 3_600_000L) + "\n");
        assertThat(fold.buckets().late()).containsExactly(Map.entry("1m", 1));
        assertThat(fold.buckets().newestIdTime()).as("the late entry's id, the last windowed one")
                .isEqualTo(Long.toString(T0 + 3));
    }

    @Test
    void givesTheScriptNoIdTimeForABatchWithoutWindowedEntries() {
        assertThat(fold(List.of(op("incr", "a"), op("decr", b))).buckets().newestIdTime()).isEmpty();
        assertThat(fold(List.of(withField(op("incr", "a"), "windows", "1m"), op("incr", b))).buckets().newestIdTime())
                .isEqualTo(Long.toString(T0));
    }

    @Test
    void aTimestampTooFarAheadCountsAtTheIdTime() {
        CounterFold fold = fold(List.of(withField(withField(op("incr", "a"), "windows", "1m"),
                "ts", Long.toString(T0 + 61_000))));
        assertThat(fold.buckets().cells()).startsWith("1m:" + (T0 - T0 % 60_000) + "\n");
    }

    @Test
    void leavesAWindowedEntryWhoseIdIsAheadOfTheClockToTheScript() {
        Map<StreamMessageId, Map<String, String>> read = new LinkedHashMap<>();
        read.put(new StreamMessageId(T0 + 60_001, 0), withField(op("incr", "a"), "windows", "1m"));
        assertThat(ReadBatches.fromFields(read, names).fold(series)).isNull();
        read.clear();
        read.put(new StreamMessageId(-1L, -1L), withField(op("incr", "a"), "windows", "1m")); // the maximal id
        assertThat(ReadBatches.fromFields(read, names).fold(series)).isNull();
        read.clear();
        read.put(new StreamMessageId(T0 + 60_000, 0), withField(op("incr", "a"), "windows", "1m"));
        assertThat(ReadBatches.fromFields(read, names).fold(series)).isNotNull();
    }

    @Test
    void writesTheMaximalIdAsUnsignedDecimals() {
        Map<StreamMessageId, Map<String, String>> read = new LinkedHashMap<>();
        read.put(new StreamMessageId(-1L, -1L), op("incr", "a"));
        ReadBatch batch = ReadBatches.fromFields(read, names);
        String max = "18446744073709551615-18446744073709551615";
        assertThat(batch.first()).isEqualTo(max);
        assertThat(batch.last()).isEqualTo(max);
        assertThat(new String(batch.joinedIds(), StandardCharsets.UTF_8)).isEqualTo(max + " ");
        assertThat(batch.cursorBefore()).isEqualTo("18446744073709551615-18446744073709551614");
    }

    @Test
    void leavesAnEntryOfMoreThanAThousandFieldsToTheScript() {
        Map<String, String> entry = op("incr", "a");
        for (int i = 0; i < 999; i++) {
            entry.put("x" + i, "v");
        }
        assertThat(fold(List.of(entry))).isNull();
    }

    /** Folds entries with ids T0, T0 + 1 ms, ..., parsed from their bytes as a read would parse them. */
    private CounterFold fold(List<Map<String, String>> entries) {
        Map<StreamMessageId, Map<String, String>> read = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            read.put(new StreamMessageId(T0 + i, 0), entries.get(i));
        }
        return ReadBatches.fromFields(read, names).fold(series);
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
        String pairs = new String(fold.pairs(), StandardCharsets.UTF_8);
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
