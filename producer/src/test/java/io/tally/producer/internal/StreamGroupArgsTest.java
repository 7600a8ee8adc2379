package io.tally.producer.internal;

import io.tally.common.internal.wire.WireCodec;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The EVALSHA arguments of a stream's sends are byte for byte what append_runs.lua reads (its header
 * comment): checked against a reference written here from the entries' fields as {@link WireCodec} gives
 * them, for operations and events of every shape, idempotent with a dedupe key per id or in dedupe
 * buckets, with and without a producer session, and in mixed runs.
 */
class StreamGroupArgsTest {
    private static final byte[] SHA = bytes("0123456789abcdef0123456789abcdef01234567");
    private static final byte[] STREAM = bytes("tally:{p0}:ops");
    private static final byte[] PRODUCERS = bytes("tally:{p0}:producers:ops");
    private static final byte[] WINDOW = bytes("60000");
    private static final byte[][] BUCKETS = {bytes("tally:{p0}:dedupe:ops:41"), bytes("tally:{p0}:dedupe:ops:40"),
            bytes("tally:{p0}:dedupe:ops:42")};

    @Test
    void aPlainIncrement_namesItsFieldsOnce_andPacksItsValues() {
        List<String> args = render(args(List.of(op(CounterOp.incr("a", 1))), false, null));
        assertThat(args).containsExactly(text(SHA), "2", text(STREAM), text(PRODUCERS), "60000", "", "",
                "1", "3", "0", "op", "counter", "by",
                // array 32 of 3, fixstr "incr", fixstr "a", fixstr "1"
                "<dd 00 00 00 03 a4 69 6e 63 72 a1 61 a1 31>");
    }

    @Test
    void anIdempotentSendInBuckets_packsItsDigestAndDedupeFieldAfterItsValues() {
        Send send = op(CounterOp.set("c", -5).withId("x").withTs(7), "1:c:x");
        List<String> args = render(args(List.of(send), true, null));
        byte[] digest = PayloadDigest.of(EntryEncoder.encode(CounterOp.set("c", -5)));
        assertThat(args).containsExactly(text(SHA), "5", text(STREAM), text(PRODUCERS), text(BUCKETS[0]), text(BUCKETS[1]),
                text(BUCKETS[2]), "60000", "", "", "1", "5", "2", "op", "counter", "value", "id", "ts",
                "<dd 00 00 00 07 a3 73 65 74 a1 63 a2 2d 35 a1 78 a1 37 d9 20 " + spaced(digest) + " a5 31 3a 63 3a 78>");
    }

    @Test
    void everyShape_givesTheReferenceArguments() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("plan", "pro");
        params.put("country", "ä");
        List<List<Send>> calls = List.of(
                List.of(op(CounterOp.incr("a", 1))),
                List.of(op(CounterOp.incr("a", 5).withId("op-1").withTs(1_765_000_000_000L), "k1")),
                List.of(op(CounterOp.set("c", Long.MIN_VALUE)), op(CounterOp.set("d", 1024))),
                List.of(op(CounterOp.reset("r")), op(CounterOp.reset("r").withTs(3))),
                List.of(op(CounterOp.unique("visitors", "alice")), op(CounterOp.unique("visitors", "bob").withWindows("1m"))),
                List.of(op(CounterOp.decr("ünïcødé", 7).withWindows("1m", "1h", "1d").withId("w").withTs(9), "k2")),
                List.of(op(CounterOp.incr("c".repeat(200), Long.MAX_VALUE).withId("i".repeat(200)), "k3")),
                List.of(event(new Event("signup", params, null, null)), event(new Event("signup", params, "e-1", 77L), "k4")),
                List.of(event(Event.of("ping", Map.of())), event(new Event("ping", Map.of(), "e", 1L), "k5")),
                List.of(event(Event.of("big", Map.of("blob", "x".repeat(300)))),
                        event(Event.of("big", Map.of("blob", "y".repeat(65_536))))),
                List.of(op(CounterOp.incr("a", 1)), op(CounterOp.incr("b", 2)), op(CounterOp.incr("a", 3).withId("x"), "k6"),
                        op(CounterOp.incr("a", 4).withId("y"), "k7"), op(CounterOp.decr("a", 5)), op(CounterOp.set("a", 6)),
                        op(CounterOp.incr("a", 7).withTs(1)), op(CounterOp.incr("a", 8))));
        for (List<Send> call : calls) {
            for (boolean inBuckets : new boolean[]{false, true}) {
                for (ProducerSession session : new ProducerSession[]{null, ProducerSession.of("12:1765000000000", 1)}) {
                    assertThat(render(args(call, inBuckets, session))).as("%s, buckets %s, session %s", call, inBuckets, session)
                            .containsExactlyElementsOf(render(reference(call, inBuckets, session)));
                }
            }
        }
    }

    @Test
    void eventsWhoseParameterNamesDiffer_goInSeparateRuns() {
        List<Send> call = List.of(event(Event.of("click", Map.of("a", "1"))), event(Event.of("click", Map.of("a", "2"))),
                event(Event.of("click", Map.of("b", "1"))), event(Event.of("click", Map.of("a", "3"))));
        List<String> args = render(args(call, false, null));
        assertThat(args).containsExactlyElementsOf(render(reference(call, false, null)));
        // after the 7 leading arguments: runs of 2, 1 and 1 entries, each naming type and its parameter
        assertThat(args.subList(7, args.size())).filteredOn(a -> a.startsWith("p.")).containsExactly("p.a", "p.b", "p.a");
        assertThat(args.get(7)).isEqualTo("2");
    }

    @Property(tries = 300)
    void anyMixOfSends_givesTheReferenceArguments(@ForAll("calls") List<Send> call, @ForAll boolean inBuckets,
                                                   @ForAll boolean withSession) {
        ProducerSession session = withSession ? ProducerSession.of("3:1765000000000", 1) : null;
        assertThat(render(args(call, inBuckets, session))).containsExactlyElementsOf(render(reference(call, inBuckets, session)));
    }

    @Provide
    Arbitrary<List<Send>> calls() {
        Arbitrary<String> names = Arbitraries.of("a", "b", "ü", "c".repeat(40));
        Arbitrary<String> ids = Arbitraries.of("x", "y", "order-" + "9".repeat(40)).injectNull(0.5);
        Arbitrary<Long> tss = Arbitraries.of(0L, 1_765_000_000_000L).injectNull(0.5);
        Arbitrary<Long> amounts = Arbitraries.longs();
        Arbitrary<Send> ops = Combinators.combine(Arbitraries.integers().between(0, 5), names, amounts, ids, tss)
                .as((kind, name, amount, id, ts) -> {
                    CounterOp op = switch (kind) {
                        case 0 -> CounterOp.incr(name, amount);
                        // by -2^63 cannot be negated: refused at the call (WireCodec), so never a send
                        case 1 -> CounterOp.decr(name, amount == Long.MIN_VALUE ? Long.MAX_VALUE : amount)
                                .withWindows("1m", "1h");
                        case 2 -> CounterOp.set(name, amount);
                        case 3 -> CounterOp.reset(name);
                        case 4 -> CounterOp.unique(name, Long.toString(amount));
                        default -> CounterOp.unique(name, "m").withWindows("1d");
                    };
                    op = id == null ? op : op.withId(id);
                    op = ts == null ? op : op.withTs(ts);
                    return op(op, id == null ? null : name.length() + ":" + name + ":" + id);
                });
        Arbitrary<Send> events = Combinators.combine(names, Arbitraries.of("", "a", "b", "ab"), ids, tss)
                .as((type, paramNames, id, ts) -> {
                    Map<String, String> params = new LinkedHashMap<>();
                    for (char c : paramNames.toCharArray()) {
                        params.put(String.valueOf(c), type + c);
                    }
                    return event(new Event(type, params, id, ts), id == null ? null : type + ":" + id);
                });
        return Arbitraries.oneOf(ops.list().ofMinSize(1).ofMaxSize(12), events.list().ofMinSize(1).ofMaxSize(12));
    }

    /** One send of the call: its topic, its entry as WireCodec writes it, and its dedupe key or field. */
    record Send(int topic, Map<String, String> fields, byte[][] encoded, String dedupe) {
        @Override
        public String toString() {
            return fields + (dedupe == null ? "" : " dedupe " + dedupe);
        }
    }

    private static Send op(CounterOp op) {
        return op(op, null);
    }

    private static Send op(CounterOp op, String dedupe) {
        return new Send(StreamKeys.OPS, WireCodec.encode(op), EntryEncoder.encode(op), dedupe);
    }

    private static Send event(Event event) {
        return event(event, null);
    }

    private static Send event(Event event, String dedupe) {
        return new Send(StreamKeys.EVENTS, WireCodec.encode(event), EntryEncoder.encode(event), dedupe);
    }

    /** The producer's arguments for the call. */
    private static Object[] args(List<Send> call, boolean inBuckets, ProducerSession session) {
        List<PendingSend> sends = new ArrayList<>();
        for (Send send : call) {
            sends.add(new PendingSend(0, send.topic(), send.encoded(), send.dedupe() == null ? null : bytes(send.dedupe())));
        }
        StreamGroup group = StreamGroup.byStream(sends, 1).get(0);
        if (session != null) {
            group.numbered(session, 5);
        }
        if (inBuckets) {
            group.dedupeBuckets(BUCKETS);
        }
        return group.evalShaArgs(SHA, STREAM, PRODUCERS, WINDOW);
    }

    /**
     * The arguments as append_runs.lua's header comment describes them, built from the entries' fields:
     * keys, window, session, first number, then per run of sends with the same field names and
     * idempotence its size, field count, dedupe mode, names and one MessagePack array of values (each
     * idempotent send's followed by its payload digest, and in buckets by its dedupe field).
     */
    private static Object[] reference(List<Send> call, boolean inBuckets, ProducerSession session) {
        boolean anyIds = call.stream().anyMatch(s -> s.dedupe() != null);
        boolean buckets = inBuckets && anyIds;
        List<Object> args = new ArrayList<>();
        args.add(SHA);
        args.add(bytes(Long.toString(buckets ? 5 : 2 + call.stream().filter(s -> s.dedupe() != null).count())));
        args.add(STREAM);
        args.add(PRODUCERS);
        if (buckets) {
            args.add(BUCKETS[0]);
            args.add(BUCKETS[1]);
            args.add(BUCKETS[2]);
        } else {
            call.stream().filter(s -> s.dedupe() != null).forEach(s -> args.add(bytes(s.dedupe())));
        }
        args.add(WINDOW);
        args.add(session == null ? new byte[0] : session.id());
        args.add(session == null ? new byte[0] : bytes("5"));
        int start = 0;
        while (start < call.size()) {
            Send first = call.get(start);
            List<String> names = List.copyOf(first.fields().keySet());
            int end = start + 1;
            while (end < call.size() && List.copyOf(call.get(end).fields().keySet()).equals(names)
                    && (call.get(end).dedupe() == null) == (first.dedupe() == null)) {
                end++;
            }
            boolean idempotent = first.dedupe() != null;
            args.add(bytes(Integer.toString(end - start)));
            args.add(bytes(Integer.toString(names.size())));
            args.add(bytes(!idempotent ? "0" : buckets ? "2" : "1"));
            names.forEach(name -> args.add(bytes(name)));
            List<byte[]> values = new ArrayList<>();
            for (Send send : call.subList(start, end)) {
                send.fields().values().forEach(value -> values.add(bytes(value)));
                if (idempotent) {
                    values.add(PayloadDigest.of(pairs(send.fields())));
                    if (buckets) {
                        values.add(bytes(send.dedupe()));
                    }
                }
            }
            args.add(msgpackArray(values));
            start = end;
        }
        return args.toArray();
    }

    private static byte[][] pairs(Map<String, String> fields) {
        byte[][] out = new byte[2 * fields.size()][];
        int i = 0;
        for (Map.Entry<String, String> e : fields.entrySet()) {
            out[i++] = bytes(e.getKey());
            out[i++] = bytes(e.getValue());
        }
        return out;
    }

    /** An array 32 of strings, each in its smallest form (fixstr, str 8, 16 or 32), as MessagePack defines them. */
    private static byte[] msgpackArray(List<byte[]> strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xdd);
        writeInt(out, strings.size());
        for (byte[] s : strings) {
            int n = s.length;
            if (n <= 31) {
                out.write(0xa0 + n);
            } else if (n <= 0xff) {
                out.write(0xd9);
                out.write(n);
            } else if (n <= 0xffff) {
                out.write(0xda);
                out.write(n >> 8);
                out.write(n & 0xff);
            } else {
                out.write(0xdb);
                writeInt(out, n);
            }
            out.writeBytes(s);
        }
        return out.toByteArray();
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write((v >>> 16) & 0xff);
        out.write((v >>> 8) & 0xff);
        out.write(v & 0xff);
    }

    /** Each argument as text when it is printable ASCII, else as hex bytes in angle brackets. */
    private static List<String> render(Object[] args) {
        List<String> out = new ArrayList<>();
        for (Object arg : args) {
            assertThat(arg).isInstanceOf(byte[].class);
            byte[] b = (byte[]) arg;
            boolean printable = true;
            for (byte x : b) {
                printable &= x >= 0x20 && x < 0x7f;
            }
            out.add(printable ? text(b) : "<" + spaced(b) + ">");
        }
        return out;
    }

    private static String spaced(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(s.length() == 0 ? "" : " ").append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
