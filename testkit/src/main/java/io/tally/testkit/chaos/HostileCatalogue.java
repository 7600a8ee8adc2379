package io.tally.testkit.chaos;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.testkit.RawRedis;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every kind of hostile entry a writer can XADD, grouped as they are written: each group's entries go out in one
 * pipelined write so that they tend to share one apply batch (a poison entry next to entries that were
 * already applied is the case that once re-applied a batch forever). Counter names carry a tag so that
 * two runs on one Redis never meet, and are chosen to land in the partition each case needs.
 *
 * <p>What is fixed by the contract is asserted as such (applied values, {@code overflow},
 * {@code wrong_partition}); where the contract leaves the reason or even the verdict open (a
 * non-canonical number, an entry far past the size bounds) any dead-letter reason, or either verdict,
 * is accepted, but never both and never twice.
 */
public final class HostileCatalogue {
    /** Entries written together, after the raw {@code setup} commands (e.g. an HSET of a stored value). */
    public record Group(String name, List<List<Object>> setup, List<HostileEntry> entries) {
    }

    /** An entry as written: its stream id. */
    public record Written(HostileEntry entry, String id) {
    }

    static final long TWO_53 = 1L << 53;
    private static final int MB = 1 << 20;

    private final Keys keys;
    private final Partitioner partitioner;
    private final String tag;
    private final Map<String, Long> counters = new LinkedHashMap<>();
    private final Map<String, TriggerDefinition> triggers = new LinkedHashMap<>();
    private final Map<String, Long> firings = new LinkedHashMap<>();
    private final List<Group> groups = new ArrayList<>();
    private final String futureCounter;

    public HostileCatalogue(Keys keys, int partitions, String tag) {
        if (partitions < 2) {
            throw new IllegalArgumentException("the wrong-partition cases need at least 2 partitions");
        }
        this.keys = keys;
        this.partitioner = new Partitioner(partitions);
        this.tag = tag;
        this.futureCounter = "h-future-" + tag;
        int p = 0;
        groups.add(poisonBatch(p++ % partitions));
        groups.add(repeatedCounter(p++ % partitions));
        groups.add(beyond2to53(p++ % partitions));
        groups.add(binaryNames());
        groups.add(hugeValues(p++ % partitions));
        groups.add(storedNonCanonical(p++ % partitions));
        groups.add(nonCanonicalNumbers(p++ % partitions));
        groups.add(wrongPartition());
        groups.add(eventParams(p++ % partitions));
        groups.add(malformed(p % partitions));
    }

    /** The groups to write while the run goes on, in order. */
    public List<Group> groups() {
        return groups;
    }

    /** Counter values the hostile entries must leave, where the outcome is fixed. */
    public Map<String, Long> counters() {
        return counters;
    }

    /** Triggers the cases need, by logical name. */
    public Map<String, TriggerDefinition> triggers() {
        return triggers;
    }

    /** Distinct firings each logical trigger must show, where the outcome is fixed. */
    public Map<String, Long> firings() {
        return firings;
    }

    /** The counter of {@link #farFuture}: 3 in total, and in a 1m bucket near Redis time, none years ahead. */
    public String futureCounter() {
        return futureCounter;
    }

    /**
     * An {@code incr} with {@code windows=1m} and no {@code ts}, XADDed with an explicit id ten years
     * ahead: applied to its counter, bucketed near Redis time. Written last: every later {@code XADD *}
     * of its partition gets an id after it.
     */
    public Group farFuture(long nowMs) {
        String c = futureCounter;
        int p = partitioner.partitionOf(c);
        long tenYears = 3653L * 24 * 3600 * 1000;
        counters.put(c, 3L);
        return new Group("far-future id", List.of(), List.of(HostileEntry.applied("incr with an id 10 years ahead", p,
                "ops", ops("incr", c, "by", "3", "windows", "1m")).withExplicitId((nowMs + tenYears) + "-0")));
    }

    /** Runs the group's setup and writes its entries in one pipeline; returns their ids. */
    public List<Written> write(RawRedis redis, Group group) {
        for (List<Object> command : group.setup()) {
            redis.call(command);
        }
        List<List<Object>> xadds = new ArrayList<>();
        for (HostileEntry e : group.entries()) {
            List<Object> cmd = new ArrayList<>(e.fields().size() + 3);
            cmd.add("XADD");
            cmd.add(e.stream().equals("ops") ? keys.ops(e.partition()) : keys.events(e.partition()));
            cmd.add(e.explicitId() == null ? "*" : e.explicitId());
            cmd.addAll(e.fields());
            xadds.add(cmd);
        }
        List<Object> replies = redis.pipeline(xadds);
        List<Written> out = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            if (replies.get(i) instanceof RawRedis.Error err) {
                throw new IllegalStateException("XADD of hostile entry " + group.entries().get(i) + " failed: " + err.message());
            }
            out.add(new Written(group.entries().get(i), RawRedis.text(replies.get(i))));
        }
        return out;
    }

    // ---------- the cases ----------

    /** Issue 16 case 1: a poison entry after entries applied in the same batch (a counter past 2^53, a crossing). */
    private Group poisonBatch(int p) {
        String big = nameIn("h-pb-big", p);
        String thr = nameIn("h-pb-thr", p);
        String poisoned = nameIn("h-pb-4k", p);
        String after = nameIn("h-pb-after", p);
        triggers.put("pb-threshold", TriggerDefinition.threshold(thr, ThresholdOp.GTE, 10).mode(TriggerMode.EVERY).build());
        firings.put("pb-threshold", 1L);
        List<Object> fourThousand = ops("incr", poisoned, "by", "x");
        for (int i = 0; fourThousand.size() < 8000; i++) {
            fourThousand.add("x" + i);
            fourThousand.add("1");
        }
        counters.put(big, TWO_53 + 1);
        counters.put(thr, 10L);
        counters.put(poisoned, 0L);
        counters.put(after, 1L);
        return new Group("poison batch", List.of(), List.of(
                HostileEntry.applied("set at 2^53", p, "ops", ops("set", big, "value", Long.toString(TWO_53))),
                HostileEntry.applied("incr past 2^53", p, "ops", ops("incr", big, "by", "1")),
                HostileEntry.applied("incr crossing a threshold", p, "ops", ops("incr", thr, "by", "10")),
                HostileEntry.dead("entry with 4,000 fields", p, "ops", fourThousand),
                HostileEntry.applied("incr after the poison entry", p, "ops", ops("incr", after, "by", "1"))));
    }

    /** Issue 16 case 1: {@code counter} named 8,001 times (too many values for one Lua unpack). */
    private Group repeatedCounter(int p) {
        String rep = nameIn("h-rep", p);
        String after = nameIn("h-rep-after", p);
        List<Object> fields = ops("incr", rep, "by", "1");
        for (int i = 1; i < 8001; i++) {
            fields.add("counter");
            fields.add(rep);
        }
        counters.put(after, 1L);
        return new Group("counter named 8,001 times", List.of(), List.of(
                HostileEntry.eitherCounter("counter named 8,001 times", p, fields, rep, 1, 0),
                HostileEntry.applied("incr after it", p, "ops", ops("incr", after, "by", "1"))));
    }

    /** Values past Lua's exact 2^53 travel as strings; a 64-bit overflow is a dead letter, never wrapped. */
    private Group beyond2to53(int p) {
        String big = nameIn("h-big", p);
        String max = nameIn("h-max", p);
        counters.put(big, TWO_53);
        counters.put(max, Long.MAX_VALUE);
        return new Group("beyond 2^53", List.of(), List.of(
                HostileEntry.applied("set 2^53+1", p, "ops", ops("set", big, "value", Long.toString(TWO_53 + 1))),
                HostileEntry.applied("incr 2^53+1 by 1", p, "ops", ops("incr", big, "by", "1")),
                HostileEntry.dead("incr by 2^63-1 (overflow)", p, "ops", ops("incr", big, "by", Long.toString(Long.MAX_VALUE)), "overflow"),
                HostileEntry.applied("decr 2^53+2 by 2", p, "ops", ops("decr", big, "by", "2")),
                HostileEntry.applied("set 2^63-2", p, "ops", ops("set", max, "value", Long.toString(Long.MAX_VALUE - 1))),
                HostileEntry.applied("incr to 2^63-1", p, "ops", ops("incr", max, "by", "1")),
                HostileEntry.dead("incr past 2^63-1 (overflow)", p, "ops", ops("incr", max, "by", "1"), "overflow")));
    }

    /** Invalid UTF-8 and control characters in names: dead letters, in the partition their bytes hash to. */
    private Group binaryNames() {
        byte[] invalid = {(byte) 0xC3, 0x28, 'h', '-', (byte) 0xFF};
        byte[] invalidType = {'h', '-', (byte) 0xE2, (byte) 0x82};
        String control = "h-ctl\u0001-" + tag;
        String opTarget = "h-binop-" + tag;
        String paramType = "h-binparam-" + tag;
        counters.put(opTarget, 0L);
        return new Group("binary names", List.of(), List.of(
                HostileEntry.dead("counter of invalid UTF-8", partitioner.partitionOf(invalid), "ops",
                        List.of("op", "incr", "counter", invalid, "by", "1")),
                HostileEntry.dead("counter with a control character", partitioner.partitionOf(control), "ops",
                        ops("incr", control, "by", "1")),
                HostileEntry.dead("op of invalid UTF-8", partitioner.partitionOf(opTarget), "ops",
                        List.of("op", new byte[]{(byte) 0xFF, (byte) 0xFE}, "counter", opTarget, "by", "1")),
                HostileEntry.dead("event type of invalid UTF-8", partitioner.partitionOf(invalidType), "events",
                        List.of("type", invalidType, "p.k", "v")),
                HostileEntry.dead("event param name of invalid UTF-8", partitioner.partitionOf(paramType), "events",
                        List.of("type", paramType, new byte[]{'p', '.', (byte) 0xC0}, "v"))));
    }

    /** 1 MB values: a name far past 200 bytes, a number of a million digits, a megabyte extra field. */
    private Group hugeValues(int p) {
        String hugeName = "h".repeat(MB);
        String byTarget = nameIn("h-hugeby", p);
        String extra = nameIn("h-hugeextra", p);
        counters.put(byTarget, 0L);
        List<Object> withExtra = ops("incr", extra, "by", "2");
        withExtra.add("note");
        withExtra.add("n".repeat(MB));
        return new Group("huge values", List.of(), List.of(
                HostileEntry.dead("counter name of 1 MB", partitioner.partitionOf(hugeName), "ops", ops("incr", hugeName, "by", "1")),
                HostileEntry.dead("by of 1 MB of digits", p, "ops", ops("incr", byTarget, "by", "1".repeat(MB))),
                HostileEntry.eitherCounter("unknown extra field of 1 MB", p, withExtra, extra, 2, 0)));
    }

    /** Counter values stored by someone else ({@code -0}, {@code 007}): every path judges them alike. */
    private Group storedNonCanonical(int p) {
        String negZero = nameIn("h-negzero", p);
        String padded = nameIn("h-padded", p);
        return new Group("stored non-canonical values",
                List.of(List.of("HSET", keys.counters(p), negZero, "-0"), List.of("HSET", keys.counters(p), padded, "007")),
                List.of(HostileEntry.eitherCounter("incr of a stored -0", p, ops("incr", negZero, "by", "5"), negZero, 5, 0),
                        HostileEntry.eitherCounter("incr of a stored 007", p, ops("incr", padded, "by", "1"), padded, 8, 7)));
    }

    /** Numbers that are integers only to a lenient parser, and some that are not integers at all. */
    private Group nonCanonicalNumbers(int p) {
        List<HostileEntry> entries = new ArrayList<>();
        String[][] lenient = {{"+5", "5"}, {"05", "5"}, {" 5", "5"}, {"-0", "0"}};
        int i = 0;
        for (String[] l : lenient) {
            String c = nameIn("h-num" + i++, p);
            entries.add(HostileEntry.eitherCounter("by '" + l[0] + "'", p, ops("incr", c, "by", l[0]), c, Long.parseLong(l[1]), 0));
        }
        for (String bad : List.of("5.0", "1e2", "0x10", "", "abc", "9223372036854775808", "-9223372036854775809")) {
            String c = nameIn("h-num" + i++, p);
            counters.put(c, 0L);
            entries.add(HostileEntry.dead("by '" + bad + "'", p, "ops", ops("incr", c, "by", bad)));
        }
        String set = nameIn("h-num" + i++, p);
        entries.add(HostileEntry.eitherCounter("set value '0005'", p, ops("set", set, "value", "0005"), set, 5, 0));
        String negDecr = nameIn("h-num" + i, p);
        counters.put(negDecr, 5L);
        entries.add(HostileEntry.applied("decr by -5", p, "ops", ops("decr", negDecr, "by", "-5")));
        return new Group("non-canonical numbers", List.of(), entries);
    }

    /** Routing keys written to a partition they do not belong to: dead letters, applied nowhere. */
    private Group wrongPartition() {
        String counter = "h-wrongp-" + tag;
        String type = "h-wrongp-ev-" + tag;
        int cp = partitioner.partitionOf(counter);
        int tp = partitioner.partitionOf(type);
        counters.put(counter, 0L);
        triggers.put("wrong-partition-event", TriggerDefinition.event(type).match("k", "v").mode(TriggerMode.EVERY).build());
        firings.put("wrong-partition-event", 0L);
        int partitions = partitioner.partitions();
        return new Group("wrong partition", List.of(), List.of(
                HostileEntry.dead("counter in another partition's stream", (cp + 1) % partitions, "ops",
                        ops("incr", counter, "by", "1"), "wrong_partition"),
                HostileEntry.dead("event type in another partition's stream", (tp + 1) % partitions, "events",
                        new ArrayList<>(List.of("type", type, "p.k", "v")), "wrong_partition")));
    }

    /** An event with 4,100 params (once a 500 over HTTP and a stalled partition when written raw). */
    private Group eventParams(int p) {
        String type = nameIn("h-params", p);
        triggers.put("params-event", TriggerDefinition.event(type).match("k0", "v").mode(TriggerMode.EVERY).build());
        List<Object> fields = new ArrayList<>(List.of("type", type));
        for (int i = 0; i < 4100; i++) {
            fields.add("p.k" + i);
            fields.add("v");
        }
        return new Group("event with 4,100 params", List.of(), List.of(
                HostileEntry.eitherFiring("event with 4,100 params", p, fields, "params-event")));
    }

    /** Plainly malformed entries: unknown op, missing fields. */
    private Group malformed(int p) {
        String c = nameIn("h-malformed", p);
        counters.put(c, 0L);
        return new Group("malformed", List.of(), List.of(
                HostileEntry.dead("unknown op", p, "ops", ops("explode", c, "by", "1")),
                HostileEntry.dead("missing counter", p, "ops", new ArrayList<>(List.of("op", "incr", "by", "1"))),
                HostileEntry.dead("missing op", p, "ops", new ArrayList<>(List.of("counter", c, "by", "1"))),
                HostileEntry.dead("event without type", p, "events", new ArrayList<>(List.of("p.k", "v")))));
    }

    // ---------- helpers ----------

    private static List<Object> ops(String op, String counter, String... rest) {
        List<Object> fields = new ArrayList<>(List.of("op", op, "counter", counter));
        fields.addAll(Arrays.asList(rest));
        return fields;
    }

    /** {@code base-<tag>}, with a numeric suffix if needed, so that it routes to partition p. */
    private String nameIn(String base, int p) {
        for (int i = 0; ; i++) {
            String name = base + "-" + tag + (i == 0 ? "" : "." + i);
            if (partitioner.partitionOf(name.getBytes(StandardCharsets.UTF_8)) == p) {
                return name;
            }
        }
    }
}
