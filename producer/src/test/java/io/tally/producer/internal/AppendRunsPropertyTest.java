package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.resp.RespConnection;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.ReplyParser;
import io.tally.common.internal.resp.RespReader;
import io.tally.testkit.RedisServer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * append_runs.lua called with whatever a buggy or hostile client could send: odd run headers, cut
 * arguments, MessagePack that does not match, dedupe keys too many or too few or of the wrong type,
 * thousands of fields, binary names and values, repeated ids in one call, and streams whose top id is
 * at or near the largest id. Either the script answers with an error and every key it could touch is
 * unchanged (DUMP), or its reply is the truth: the entries it reports written are exactly the stream's
 * new entries (fields byte for byte), each written idempotent entry's dedupe key holds its id and payload
 * digest, a duplicate has the same payload as the entry its id names and a conflict another one, and
 * no other key changed.
 */
class AppendRunsPropertyTest {
    private static final LuaScript SCRIPT = LuaScript.resource("append_runs");
    private static final String MAX = "18446744073709551615";
    private static final AtomicInteger TRIES = new AtomicInteger();
    private static RedisServer server;
    private static RespConnection redis;
    private static byte[] sha;

    @BeforeContainer
    static void start() throws Exception {
        server = RedisServer.start();
        redis = RespConnection.open(new RespEndpoint("127.0.0.1", server.port(), null, null, null, 30_000, null));
        String loaded = (String) call(RespReader::object, "SCRIPT", "LOAD", SCRIPT.source());
        assertThat(loaded).isEqualTo(SCRIPT.sha());
        sha = loaded.getBytes(StandardCharsets.US_ASCII);
    }

    @AfterContainer
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** The stream before the call. */
    enum StreamState {
        EMPTY(null), PAST("1000-5"), ABOVE_2_POW_53("99999999999999-9007199254740993"),
        SEQUENCE_NEAR_MAX("99999999999999-18446744073709551613"), NEAR_MAX(MAX + "-18446744073709551613"),
        MAX_ID(MAX + "-" + MAX), NOT_A_STREAM(null);

        final String top;

        StreamState(String top) {
            this.top = top;
        }
    }

    /** What a dedupe key holds before the call. */
    enum KeyState { ABSENT, HASH, NO_DIGEST }

    /** How the call is broken, if at all. */
    enum Breakage { NONE, RUN_SIZE_ZERO, RUN_SIZE_WORD, RUN_SIZE_FRACTION, NO_FIELDS, TOO_MANY_FIELDS, CUT_SHORT,
        VALUE_COUNT, NOT_MSGPACK, EXTRA_DEDUPE_KEY, MISSING_DEDUPE_KEY, WINDOW, SHORT_DIGEST }

    record Entry(List<byte[]> names, List<byte[]> values, int dedupeKey) {
    }

    record Run(boolean idempotent, List<Entry> entries) {
    }

    record Call(StreamState stream, List<KeyState> keys, List<Run> runs, Breakage breakage) {
        @Override
        public String toString() {
            int fields = runs.stream().mapToInt(r -> r.entries.get(0).names.size()).max().orElse(0);
            return "Call[" + stream + ", keys " + keys + ", " + runs.size() + " runs, widest " + fields + " fields, "
                    + runs.stream().map(r -> (r.idempotent ? "id:" : "") + r.entries.size()).toList() + ", " + breakage + "]";
        }
    }

    @Property(tries = 250)
    void eitherAnErrorThatChangedNothingOrATruthfulReply(@ForAll("calls") Call call) throws Exception {
        String prefix = "t" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < call.keys.size(); i++) {
            keys.add(prefix + "dedupe:" + i);
        }
        prepare(call, stream, keys);
        List<String> touched = new ArrayList<>(keys);
        touched.add(stream);
        Map<String, byte[]> before = dumps(touched);
        List<byte[]> entriesBefore = call.stream == StreamState.NOT_A_STREAM ? List.of() : entryIds(stream);

        List<Object> args = arguments(call, stream, keys);
        Object reply = send(RespReader::object, args.toArray()).exceptionally(AppendRunsPropertyTest::errorOf)
                .get(60, TimeUnit.SECONDS);
        if (reply instanceof RespErrorReply) {
            Statistics.label("outcome").collect("error");
            assertThat(dumps(touched)).as("an error reply changed nothing").isEqualTo(before);
            return;
        }
        assertThat(call.breakage).as("a broken call must be refused, got %s", reply).isEqualTo(Breakage.NONE);
        List<?> out = (List<?>) reply;

        List<Entry> all = call.runs.stream().flatMap(r -> r.entries.stream()).toList();
        List<Boolean> idempotent = call.runs.stream().flatMap(r -> r.entries.stream().map(e -> r.idempotent)).toList();
        int handled = 0;
        while (handled < out.size() && out.get(handled) instanceof String) {
            handled++;
        }
        assertThat(handled).isLessThanOrEqualTo(all.size());
        Map<Integer, Boolean> marked = new HashMap<>(); // position -> duplicate
        String failure = null;
        for (int i = handled; i < out.size(); i++) {
            long mark = (Long) out.get(i);
            if (mark == 0) {
                failure = (String) out.get(i + 1);
                assertThat(i + 2).isEqualTo(out.size());
                break;
            }
            marked.put((int) Math.abs(mark) - 1, mark > 0);
        }
        assertThat(failure != null).as("a failure exactly when not every entry was handled: %s", out)
                .isEqualTo(handled < all.size());
        if (failure != null) {
            assertThat(failure).containsAnyOf("WRONGTYPE", "largest possible id", "exhausted");
        }
        Statistics.label("outcome").collect(failure == null ? "complete"
                : handled == 0 ? "stopped at the first entry" : "stopped after handling some entries");
        Statistics.label("duplicates, conflicts").collect(marked.containsValue(true), marked.containsValue(false));

        // the stream's new entries are exactly the entries reported written, in order, byte for byte
        List<String> written = new ArrayList<>();
        List<Entry> writtenEntries = new ArrayList<>();
        for (int i = 0; i < handled; i++) {
            if (!marked.containsKey(i)) {
                written.add((String) out.get(i));
                writtenEntries.add(all.get(i));
            }
        }
        if (call.stream == StreamState.NOT_A_STREAM || written.isEmpty()) {
            assertThat(written).isEmpty();
            assertThat(dump(stream)).isEqualTo(before.get(stream));
        } else {
            List<List<byte[]>> range = entries(stream);
            List<List<byte[]>> added = range.subList(entriesBefore.size(), range.size());
            assertThat(added).hasSize(written.size());
            for (int i = 0; i < added.size(); i++) {
                List<byte[]> e = added.get(i);
                assertThat(new String(e.get(0), StandardCharsets.US_ASCII)).isEqualTo(written.get(i));
                assertThat(e.subList(1, e.size())).usingElementComparator(Arrays::compare)
                        .containsExactlyElementsOf(interleave(writtenEntries.get(i)));
            }
        }

        // dedupe keys: set by the entries written, holding the original otherwise
        Set<Integer> setKeys = new HashSet<>();
        for (int i = 0; i < handled; i++) {
            if (!idempotent.get(i)) {
                continue;
            }
            Entry e = all.get(i);
            String key = keys.get(e.dedupeKey);
            String value = string(key);
            String digest = digest(e);
            if (!marked.containsKey(i)) {
                setKeys.add(e.dedupeKey);
                assertThat(value).isEqualTo(out.get(i) + " " + digest);
            } else {
                int space = value.indexOf(' ');
                assertThat(out.get(i)).isEqualTo(space < 0 ? value : value.substring(0, space));
                assertThat(marked.get(i)).as("duplicate exactly when the payload digest matches")
                        .isEqualTo(space >= 0 && value.substring(space + 1).equals(digest));
            }
        }
        for (int k = 0; k < keys.size(); k++) {
            if (!setKeys.contains(k)) {
                assertThat(dump(keys.get(k))).as("untouched dedupe key %d", k).isEqualTo(before.get(keys.get(k)));
            }
        }
    }

    @Example
    void idsPastTwoToThe53_areSteppedExactly() throws Exception {
        assertThat(appendPlain("99999999999999-9007199254740993", 3)).containsExactly(
                "99999999999999-9007199254740994", "99999999999999-9007199254740995", "99999999999999-9007199254740996");
    }

    @Example
    void aSequenceAtItsMaximum_movesToTheNextMillisecond() throws Exception {
        assertThat(appendPlain("99999999999999-18446744073709551613", 4)).containsExactly(
                "99999999999999-18446744073709551614", "99999999999999-" + MAX, "100000000000000-0", "100000000000000-1");
    }

    @Example
    void theLargestId_stopsTheCallAfterWhatFitAndSaysSo() throws Exception {
        List<Object> reply = appendPlain(MAX + "-18446744073709551613", 4);
        assertThat(reply.subList(0, 4)).containsExactly(MAX + "-18446744073709551614", MAX + "-" + MAX, 0L,
                "the stream's top id is the largest possible id; nothing more can be added");
        assertThat(reply).hasSize(4);
    }

    /** Appends n plain entries to a stream whose top id is {@code top}; returns the script's reply. */
    private static List<Object> appendPlain(String top, int n) throws Exception {
        String stream = "e" + TRIES.incrementAndGet() + ":{p0}:ops";
        call(RespReader::object, "XADD", stream, top, "f", "v");
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(utf8("c"));
            values.add(utf8(Integer.toString(i)));
        }
        @SuppressWarnings("unchecked")
        List<Object> reply = (List<Object>) call(RespReader::object, "EVALSHA", sha, "1", stream, "600000",
                Integer.toString(n), "2", "0", "counter", "by", pack(values));
        List<String> ids = entryIds(stream).stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList();
        assertThat(ids.subList(1, ids.size())).containsExactlyElementsOf(
                reply.stream().takeWhile(String.class::isInstance).map(String.class::cast).toList());
        return reply;
    }

    private static Object errorOf(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RespErrorReply) {
            return cause;
        }
        throw new AssertionError("not an error reply: " + cause, cause);
    }

    // --- the call ---

    private static void prepare(Call call, String stream, List<String> keys) throws Exception {
        if (call.stream == StreamState.NOT_A_STREAM) {
            call(RespReader::object, "SET", stream, "not a stream");
        } else if (call.stream.top != null) {
            call(RespReader::object, "XADD", stream, call.stream.top, "f", "v");
        }
        for (int i = 0; i < keys.size(); i++) {
            switch (call.keys.get(i)) {
                case HASH -> call(RespReader::object, "HSET", keys.get(i), "f", "v");
                case NO_DIGEST -> call(RespReader::object, "SET", keys.get(i), "1-1");
                case ABSENT -> { }
            }
        }
    }

    private static List<Object> arguments(Call call, String stream, List<String> keys) throws Exception {
        List<Object> dedupe = new ArrayList<>();
        for (Run run : call.runs) {
            if (run.idempotent) {
                run.entries.forEach(e -> dedupe.add(keys.get(e.dedupeKey)));
            }
        }
        if (call.breakage == Breakage.EXTRA_DEDUPE_KEY) {
            dedupe.add(keys.get(0));
        } else if (call.breakage == Breakage.MISSING_DEDUPE_KEY) {
            if (dedupe.isEmpty()) {
                dedupe.add(keys.get(0)); // one too many then: as wrong
            } else {
                dedupe.remove(dedupe.size() - 1);
            }
        }
        List<Object> argv = new ArrayList<>();
        argv.add(call.breakage == Breakage.WINDOW ? "ten minutes" : "600000");
        for (int r = 0; r < call.runs.size(); r++) {
            Run run = call.runs.get(r);
            boolean first = r == 0;
            List<byte[]> names = run.entries.get(0).names;
            String n = Integer.toString(run.entries.size());
            String k = Integer.toString(names.size());
            if (first) {
                switch (call.breakage) {
                    case RUN_SIZE_ZERO -> n = "0";
                    case RUN_SIZE_WORD -> n = "some";
                    case RUN_SIZE_FRACTION -> n = "1.5";
                    case NO_FIELDS -> k = "0";
                    case TOO_MANY_FIELDS -> k = "3991";
                    default -> { }
                }
            }
            argv.add(n);
            argv.add(k);
            argv.add(run.idempotent ? "1" : "0");
            argv.addAll(names);
            List<byte[]> values = new ArrayList<>();
            for (Entry e : run.entries) {
                values.addAll(e.values);
                if (run.idempotent) {
                    values.add(digest(e).getBytes(StandardCharsets.US_ASCII));
                }
            }
            if (first && call.breakage == Breakage.SHORT_DIGEST) {
                if (run.idempotent) {
                    int digest = names.size();
                    values.set(digest, Arrays.copyOf(values.get(digest), PayloadDigest.HEX_LENGTH - 1));
                } else {
                    argv.set(argv.size() - names.size() - 1, "1"); // claims dedupe keys, brings no digests
                }
            }
            if (first && call.breakage == Breakage.VALUE_COUNT) {
                values.add(new byte[]{'x'});
            }
            argv.add(first && call.breakage == Breakage.NOT_MSGPACK ? new byte[]{(byte) 0xc1, 1, 2} : pack(values));
        }
        if (call.breakage == Breakage.CUT_SHORT) {
            argv.remove(argv.size() - 1);
        }
        List<Object> args = new ArrayList<>();
        args.add("EVALSHA");
        args.add(sha);
        args.add(Integer.toString(1 + dedupe.size()));
        args.add(stream);
        args.addAll(dedupe);
        args.addAll(argv);
        return args;
    }

    private static byte[] pack(List<byte[]> values) {
        int size = MsgPack.arrayHeaderSize();
        for (byte[] v : values) {
            size += MsgPack.packedSize(v);
        }
        byte[] out = new byte[size];
        int at = MsgPack.writeArrayHeader(out, 0, values.size());
        for (byte[] v : values) {
            at = MsgPack.writeString(out, at, v);
        }
        return out;
    }

    /** The payload digest as docs/wire-format.md defines it, computed independently of PayloadDigest. */
    private static String digest(Entry e) throws Exception {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < e.names.size(); i++) {
            String name = new String(e.names.get(i), StandardCharsets.ISO_8859_1);
            if (!name.equals("id") && !name.equals("ts")) {
                order.add(i);
            }
        }
        order.sort(Comparator.<Integer, byte[]>comparing(e.names::get, Arrays::compareUnsigned).thenComparing(i -> i));
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i : order) {
            byte[] name = e.names.get(i);
            byte[] value = e.values.get(i);
            payload.writeBytes((name.length + ":").getBytes(StandardCharsets.US_ASCII));
            payload.writeBytes(name);
            payload.writeBytes((value.length + ":").getBytes(StandardCharsets.US_ASCII));
            payload.writeBytes(value);
        }
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(payload.toByteArray());
        return HexFormat.of().formatHex(sha256, 0, 16);
    }

    private static List<byte[]> interleave(Entry e) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < e.names.size(); i++) {
            out.add(e.names.get(i));
            out.add(e.values.get(i));
        }
        return out;
    }

    // --- Redis, byte for byte ---

    private static <T> T call(ReplyParser<T> parser, Object... args) throws Exception {
        return send(parser, args).get(30, TimeUnit.SECONDS);
    }

    private static <T> CompletableFuture<T> send(ReplyParser<T> parser, Object... args) {
        CompletableFuture<T> reply = redis.queue(parser, args);
        redis.flush();
        return reply;
    }

    private static byte[] dump(String key) throws Exception {
        return call(AppendRunsPropertyTest::bulkBytes, "DUMP", key);
    }

    private static Map<String, byte[]> dumps(List<String> keys) throws Exception {
        Map<String, byte[]> out = new HashMap<>();
        for (String key : keys) {
            out.put(key, dump(key));
        }
        return new ComparableBytesMap(out);
    }

    private static String string(String key) throws Exception {
        return (String) call(RespReader::object, "GET", key);
    }

    private static List<byte[]> entryIds(String stream) throws Exception {
        return entries(stream).stream().map(e -> e.get(0)).toList();
    }

    /** XRANGE: per entry its id, then its field names and values in order. */
    private static List<List<byte[]>> entries(String stream) throws Exception {
        return call(in -> {
            int n = in.arrayLength();
            List<List<byte[]>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                in.arrayLength();
                List<byte[]> entry = new ArrayList<>();
                entry.add(bulkBytes(in));
                int fields = in.arrayLength();
                for (int f = 0; f < fields; f++) {
                    entry.add(bulkBytes(in));
                }
                out.add(entry);
            }
            return out;
        }, "XRANGE", stream, "-", "+");
    }

    private static byte[] bulkBytes(RespReader in) throws java.io.IOException {
        int start = in.bulk();
        return start < 0 ? null : Arrays.copyOfRange(in.buffer(), start, start + in.lastLength());
    }

    /** A map whose equality compares byte arrays by content, for AssertJ's isEqualTo. */
    private static final class ComparableBytesMap extends HashMap<String, byte[]> {
        ComparableBytesMap(Map<String, byte[]> m) {
            super(m);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Map<?, ?> other) || other.size() != size()) {
                return false;
            }
            for (Map.Entry<String, byte[]> e : entrySet()) {
                if (!(other.get(e.getKey()) instanceof byte[] b) && other.get(e.getKey()) != null
                        || !Arrays.equals(e.getValue(), (byte[]) other.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return keySet().hashCode();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            forEach((k, v) -> sb.append(k).append('=').append(v == null ? "nil" : HexFormat.of().formatHex(v)).append(", "));
            return sb.append('}').toString();
        }
    }

    // --- generators ---

    @Provide
    Arbitrary<Call> calls() {
        Arbitrary<List<KeyState>> keys = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(KeyState.ABSENT)),
                Tuple.of(1, Arbitraries.just(KeyState.HASH)), Tuple.of(1, Arbitraries.just(KeyState.NO_DIGEST)))
                .list().ofSize(3);
        Arbitrary<Breakage> breakage = Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.just(Breakage.NONE)),
                Tuple.of(1, Arbitraries.of(Breakage.class)));
        return Combinators.combine(Arbitraries.of(StreamState.class), keys, run().list().ofMinSize(1).ofMaxSize(4), breakage)
                .as(Call::new);
    }

    private Arbitrary<Run> run() {
        Arbitrary<Integer> width = Arbitraries.frequencyOf(Tuple.of(20, Arbitraries.integers().between(1, 7)),
                Tuple.of(2, Arbitraries.integers().between(8, 60)), Tuple.of(1, Arbitraries.just(3990)));
        return Combinators.combine(Arbitraries.of(true, false), width, Arbitraries.integers().between(1, 3))
                .flatAs((idempotent, k, n) -> names(k).flatMap(names -> entry(names).list().ofSize(n)
                        .map(entries -> new Run(idempotent, entries))));
    }

    private Arbitrary<List<byte[]>> names(int k) {
        Arbitrary<byte[]> name = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of("op", "counter", "by", "id", "ts", "type", "p.x", "").map(AppendRunsPropertyTest::utf8)),
                Tuple.of(1, bytes(12)));
        return name.list().ofSize(k);
    }

    private Arbitrary<Entry> entry(List<byte[]> names) {
        Arbitrary<byte[]> value = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of("1", "2", "incr", "c", "-0", "9223372036854775808").map(AppendRunsPropertyTest::utf8)),
                Tuple.of(3, bytes(40)), Tuple.of(1, bytes(70_000)));
        int k = names.size();
        // wide entries get small values, so that a try stays fast
        Arbitrary<byte[]> v = k > 100 ? bytes(3) : value;
        return Combinators.combine(v.list().ofSize(k), Arbitraries.integers().between(0, 2))
                .as((values, key) -> new Entry(names, values, key));
    }

    private static Arbitrary<byte[]> bytes(int max) {
        return Arbitraries.randomValue(random -> {
            byte[] out = new byte[random.nextInt(max + 1)];
            random.nextBytes(out);
            return out;
        });
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
