package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.MAX_ID;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every data script, run on random hostile input (entries of up to 10,000 fields, repeated fields,
 * binary bytes, values of megabytes, far-future and maximal ids, odd stored counter values, hostile
 * stored trigger definitions and heads; for the apply scripts, a key of the partition someone else broke), either
 * returns or raises an error with every key of the partition unchanged ({@link HostileScripts#runAtomically});
 * an apply script raises only to refuse a broken key (BADKEY).
 */
class HostileScriptPropertyTest {
    private static HostileScripts h;

    @BeforeContainer
    static void start() {
        h = new HostileScripts();
    }

    @AfterContainer
    static void stop() {
        h.close();
    }

    static final List<String> STORED = List.of("-0", "007", "+5", " 5", "abc", "9223372036854775807",
            "-9223372036854775808", "1e300", "1.5", "", "5", "99999999999999", "9007199254740993");

    static final List<String> TRIGGERS = List.of("{broken", "[1,2]", "5", "null", "{}",
            "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":\"NaN\"}",
            "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":1,\"params\":{\"a\":{\"b\":1},\"c\":true,\"d\":null}}",
            "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\"<=\",\"value\":1e308,\"mode\":\"every\"}",
            "{\"kind\":\"event\",\"eventType\":\"t\",\"match\":5,\"params\":[1,2,3]}",
            "{\"kind\":\"event\",\"eventType\":\"t\",\"mode\":\"every\",\"params\":{" + manyParams(5000) + "}}",
            "{\"kind\":{\"x\":1},\"eventType\":[1]}",
            "{\"kind\":\"time\",\"every\":-5}", "{\"kind\":\"time\",\"every\":\"1e-300\"}",
            "{\"kind\":\"time\",\"every\":1000,\"params\":{" + manyParams(9000) + "}}",
            "{\"kind\":\"time\",\"every\":Infinity}", "{\"kind\":\"time\",\"every\":NaN}");

    private static String manyParams(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        return s.toString();
    }

    /** One hostile entry: where it goes, its explicit id kind, its flat fields. */
    record Entry(boolean event, int idKind, List<byte[]> flat) {
    }

    /** The partition's hostile state before a script runs; head '' stores none (a trigger stored before heads). */
    record Scene(List<Entry> entries, String stored, String trigger, String head, int readers) {
    }

    @Provide
    Arbitrary<Scene> scenes() {
        Arbitrary<byte[]> binary = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
        Arbitrary<byte[]> value = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(30, Arbitraries.of("1", "5", "-0", "007", "9223372036854775807", "c", "t", "1m", "x,1m", "")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8))),
                net.jqwik.api.Tuple.of(15, binary),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(70_000, 2_000_000).map(n -> new byte[n])));
        Arbitrary<byte[]> name = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.of("op", "counter", "by", "value", "ts", "id", "windows", "member",
                        "type", "p.a", "p.b", "v").map(s -> s.getBytes(StandardCharsets.UTF_8))),
                net.jqwik.api.Tuple.of(2, binary));
        Arbitrary<List<byte[]>> extra = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, Arbitraries.integers().between(0, 6)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(95, 1_005)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1_000, 10_000)))
                .flatMap(n -> Combinators.combine(name, value).as(List::of).list().ofSize(n))
                .map(pairs -> {
                    List<byte[]> flat = new ArrayList<>();
                    pairs.forEach(flat::addAll);
                    return flat;
                });
        Arbitrary<Entry> entry = Combinators.combine(Arbitraries.of(false, true),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(8, 0), net.jqwik.api.Tuple.of(1, 1), net.jqwik.api.Tuple.of(1, 2)),
                Arbitraries.of("incr", "decr", "set", "reset", "unique", "bogus"), Arbitraries.of("c", "d", "e"), extra)
                .as((event, idKind, op, counter, more) -> {
                    List<byte[]> flat = event ? HostileScripts.fields("type", "t") : HostileScripts.fields("op", op, "counter", counter);
                    flat.addAll(more);
                    return new Entry(event, idKind, flat);
                });
        Arbitrary<String> head = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(1, Arbitraries.just("")),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(TRIGGERS)));
        return Combinators.combine(entry.list().ofMinSize(1).ofMaxSize(6), Arbitraries.of(STORED), Arbitraries.of(TRIGGERS),
                head, Arbitraries.integers().between(0, 3)).as(Scene::new);
    }

    /** Writes the scene: stored values, triggers on c and t, the entries, and reads by other consumers. */
    private void seed(Scene s) {
        h.reset();
        h.redis.call("HSET", h.keys.counters(PART), "c", s.stored(), "d", "5");
        h.redis.call("HSET", h.keys.seriesBucket(PART, "1m", 0), "c", s.stored());
        h.redis.call("HSET", h.keys.triggers(PART), "T", s.trigger(), "T:status", "active", "T:armed", "1");
        if (!s.head().isEmpty()) {
            h.redis.call("HSET", h.keys.triggers(PART), "T:head", s.head());
        }
        h.redis.call("HSET", h.keys.triggersByCounter(PART), "c", "T T2 T3");
        h.redis.call("HSET", h.keys.triggersByEvent(PART), "t", "T");
        h.redis.call("ZADD", h.keys.schedule(PART), "1", "T", "-inf", "T2");
        long now = Long.parseLong(text(((List<?>) h.redis.call("TIME")).get(0))) * 1000;
        for (Entry e : s.entries()) {
            String id = switch (e.idKind()) {
                case 1 -> (now + 10L * 365 * 86_400_000) + "-*";
                case 2 -> MAX_ID;
                default -> "*";
            };
            h.xadd(e.event() ? h.keys.events(PART) : h.keys.ops(PART), id, e.flat()); // an error (id too small) skips it
        }
        String[] readers = {"a:1", "b:1", LEASE};
        for (int i = 0; i < s.readers(); i++) {
            for (String stream : List.of(h.keys.ops(PART), h.keys.events(PART))) {
                h.redis.call("XREADGROUP", "GROUP", "tally", readers[i % 3], "COUNT", 2, "STREAMS", stream, ">");
            }
        }
    }

    /**
     * Keys of the partition that someone else broke, for the apply scripts: a key of another type, a stream
     * without ids left, a HyperLogLog that PFADD refuses. Applied after {@link #seed}; most tries break none.
     */
    enum BrokenKey {
        NONE, DLQ_FULL, DLQ_STRING, FIRINGS_FULL, FIRINGS_HASH, SERIES_INDEX_STRING, SERIES_BUCKET_STRING,
        COUNTERS_STRING, CHECKPOINT_SET, TRIGGERS_STRING, INDEX_STRING, HLL_STRING, HLL_CORRUPT_SPARSE;

        void breakIt(HostileScripts h) {
            String key = switch (this) {
                case NONE -> null;
                case DLQ_FULL, DLQ_STRING -> h.keys.dlq(PART);
                case FIRINGS_FULL, FIRINGS_HASH -> h.keys.firings(PART);
                case SERIES_INDEX_STRING -> h.keys.seriesIndex(PART);
                case SERIES_BUCKET_STRING -> h.keys.seriesBucket(PART, "1m", 0);
                case COUNTERS_STRING -> h.keys.counters(PART);
                case CHECKPOINT_SET -> h.keys.checkpoint(PART);
                case TRIGGERS_STRING -> h.keys.triggers(PART);
                case INDEX_STRING -> h.keys.triggersByCounter(PART);
                case HLL_STRING, HLL_CORRUPT_SPARSE -> h.keys.hllPrefix(PART) + "c";
            };
            if (key == null) {
                return;
            }
            h.redis.call("DEL", key);
            switch (this) {
                case DLQ_FULL, FIRINGS_FULL -> h.xadd(key, MAX_ID, HostileScripts.fields("x", "y"));
                case FIRINGS_HASH -> h.redis.call("HSET", key, "x", "y");
                case CHECKPOINT_SET -> h.redis.call("SADD", key, "x");
                // a sparse body covering 1 of 16,384 registers, behind a valid cached count
                case HLL_CORRUPT_SPARSE -> h.redis.call("SET", key, new byte[] {'H', 'Y', 'L', 'L', 1, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0, 0});
                default -> h.redis.call("SET", key, "x");
            }
        }
    }

    @Provide
    Arbitrary<BrokenKey> brokenKeys() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(12, Arbitraries.just(BrokenKey.NONE)),
                net.jqwik.api.Tuple.of(12, Arbitraries.of(BrokenKey.class).filter(k -> k != BrokenKey.NONE)));
    }

    /** An apply script's error: only a refusal of a broken key (BADKEY), which wrote nothing. */
    private static void refusedOnlyForABrokenKey(Object reply, BrokenKey broken) {
        if (reply instanceof RawRedis.Error err) {
            assertThat(broken).as("an error (%s) with no key broken", err.message()).isNotEqualTo(BrokenKey.NONE);
            assertThat(err.message()).startsWith("BADKEY ");
        }
    }

    private static void returnedOrFailedClean(Object reply) {
        assertThat(reply).isNotNull(); // runAtomically already compared the partition after an error
    }

    @Property(tries = 40)
    void applyWithNewEntries(@ForAll("scenes") Scene s, @ForAll("brokenKeys") BrokenKey broken) {
        seed(s);
        broken.breakIt(h);
        Object reply = h.apply(LEASE, ">", ">");
        returnedOrFailedClean(reply);
        refusedOnlyForABrokenKey(reply, broken);
    }

    @Property(tries = 40)
    void applyWithThePendingList(@ForAll("scenes") Scene s, @ForAll("brokenKeys") BrokenKey broken) {
        seed(s);
        broken.breakIt(h);
        h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", h.keys.ops(PART), h.keys.events(PART), ">", ">");
        Object reply = h.apply(LEASE, "0-0", "0-0");
        returnedOrFailedClean(reply);
        refusedOnlyForABrokenKey(reply, broken);
    }

    @Property(tries = 25)
    void applyCounters(@ForAll("scenes") Scene s, @ForAll("brokenKeys") BrokenKey broken) {
        seed(s);
        broken.breakIt(h);
        List<?> read = (List<?>) h.redis.call("XREADGROUP", "GROUP", "tally", LEASE, "STREAMS", h.keys.ops(PART), ">");
        if (read == null) {
            return;
        }
        List<?> entries = (List<?>) ((List<?>) read.get(0)).get(1);
        StringBuilder ids = new StringBuilder();
        entries.forEach(e -> ids.append(text(((List<?>) e).get(0))).append(' '));
        String first = text(((List<?>) entries.get(0)).get(0));
        String last = text(((List<?>) entries.get(entries.size() - 1)).get(0));
        Object reply = h.runAtomically("apply_counters", h.fastKeys(), LEASE, first, last, "7", ids.toString(),
                "c\n7\nd\n=3\n", "1m:0\nc\n7\n", "1m:0\n3600000\n");
        returnedOrFailedClean(reply);
        refusedOnlyForABrokenKey(reply, broken);
    }

    @Property(tries = 15)
    void timeFire(@ForAll("scenes") Scene s) {
        seed(s);
        returnedOrFailedClean(h.runAtomically("time_fire", h.timeFireKeys(), LEASE, 10));
    }

    @Property(tries = 15)
    void claim(@ForAll("scenes") Scene s) {
        seed(s);
        returnedOrFailedClean(h.runAtomically("claim", List.of(h.keys.ops(PART), h.keys.lease(PART)), LEASE, LEASE, "0-0", 100));
    }

    @Property(tries = 15)
    void triggerCreateAndCancel(@ForAll("scenes") Scene s) {
        seed(s);
        List<String> create = new ArrayList<>(h.triggerKeys());
        create.add(h.keys.counters(PART));
        returnedOrFailedClean(h.runAtomically("trigger_create", create, "N", "threshold",
                "{\"kind\":\"threshold\",\"counter\":\"c\",\"op\":\">=\",\"value\":10}", "c", ">=", "10", "", ""));
        returnedOrFailedClean(h.runAtomically("trigger_cancel", h.triggerKeys(), "T"));
    }
}
