package io.tally.processor.badinput;

import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RedisServer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random and adversarial entries (random bytes, huge values, unicode edge cases, names with
 * {@code { } : *}, missing and repeated fields, numbers at and past the 64-bit limits, entries on the
 * wrong partition) go straight into the ops and events streams of a running processor. Every entry
 * must end applied or dead-lettered with the reason Java gives ({@link Verdict}), the counters must
 * equal the Java model, and the processor must stay ready.
 */
class BadInputPropertyTest {
    private static BadInputPipeline pipeline;

    @BeforeContainer
    static void start() {
        RedisServer.requireAvailable();
        pipeline = new BadInputPipeline();
    }

    @AfterContainer
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    /** A generated entry and where it goes: its routing key's partition, or (misrouted) another one. */
    record Generated(RawEntry entry, boolean misroute, int otherPartition) {
    }

    @Property(tries = 30)
    void everyEntryEndsAppliedOrDeadLetteredAsJavaSays(@ForAll("batches") List<Generated> batch) {
        Partitioner partitioner = new Partitioner(BadInputPipeline.P);
        List<BadInputPipeline.Placed> placed = new ArrayList<>();
        for (Generated g : batch) {
            byte[] key = g.entry().map().get(g.entry().topic().equals("ops") ? "counter" : "type");
            int home = key == null ? g.otherPartition() : partitioner.partitionOf(key);
            int partition = g.misroute() ? g.otherPartition() : home;
            placed.add(new BadInputPipeline.Placed(g.entry(), partition));
        }
        CounterModel model = new CounterModel();
        model.values().putAll(pipeline.counters()); // each try starts from what Redis holds, so tries are independent
        List<String> outcomes = pipeline.submit(placed);
        for (int i = 0; i < placed.size(); i++) {
            BadInputPipeline.Placed p = placed.get(i);
            Verdict v = Verdict.of(p.entry(), p.partition(), BadInputPipeline.P);
            String expected = v.reason();
            if (v.applied() && v.op() != null && !model.apply(v.op())) {
                expected = "overflow";
            }
            assertThat(outcomes.get(i)).as("%s on partition %d", p.entry(), p.partition()).isEqualTo(expected);
        }
        assertThat(pipeline.counters()).isEqualTo(model.values());
        assertThat(pipeline.processorReady()).as("processor still ready").isTrue();
    }

    @Provide
    Arbitrary<List<Generated>> batches() {
        Arbitrary<Generated> one = Combinators.combine(Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(5, ops()), net.jqwik.api.Tuple.of(1, events())),
                Arbitraries.integers().between(0, 9).map(n -> n == 0), Arbitraries.integers().between(0, BadInputPipeline.P - 1))
                .as(Generated::new);
        return one.list().ofMinSize(1).ofMaxSize(20);
    }

    private Arbitrary<RawEntry> ops() {
        return Combinators.combine(optional(opNames()), optional(names()), optional(numbers()), optional(numbers()),
                        optional(names()), optional(numbers()), extras())
                .as((op, counter, by, value, id, ts, extra) -> {
                    RawEntry.Builder b = RawEntry.ops();
                    op.ifPresent(v -> b.field("op", v));
                    counter.ifPresent(v -> b.field("counter", v));
                    by.ifPresent(v -> b.field("by", v));
                    value.ifPresent(v -> b.field("value", v));
                    id.ifPresent(v -> b.field("id", v));
                    ts.ifPresent(v -> b.field("ts", v));
                    extra.forEach(f -> b.rawField(f.get(0), f.get(1)));
                    return b.build();
                });
    }

    private Arbitrary<RawEntry> events() {
        return Combinators.combine(optional(names()), optional(names()), optional(names()), extras())
                .as((type, id, param, extra) -> {
                    RawEntry.Builder b = RawEntry.events();
                    type.ifPresent(v -> b.field("type", v));
                    id.ifPresent(v -> b.field("id", v));
                    param.ifPresent(v -> b.rawField(concat("p.".getBytes(), v), "x".getBytes()));
                    extra.forEach(f -> b.rawField(f.get(0), f.get(1)));
                    return b.build();
                });
    }

    /** Mostly present: a missing field is one case among many. */
    private static Arbitrary<Optional<byte[]>> optional(Arbitrary<byte[]> values) {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(6, values.map(Optional::of)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Optional.empty())));
    }

    private static Arbitrary<byte[]> opNames() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(12, Arbitraries.of("incr", "decr", "set", "reset").map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("INCR", "incr ", "", "unique", "del").map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(AdversarialValues.BAD_UTF8)),
                net.jqwik.api.Tuple.of(1, randomBytes(8)));
    }

    private static Arbitrary<byte[]> names() {
        return Arbitraries.frequencyOf(
                // a few shared names, so that operations meet on one counter and overflow for real
                net.jqwik.api.Tuple.of(8, Arbitraries.of("a", "b{1}", ":*:", "}{").map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(AdversarialValues.NAMES).map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().all().ofMaxLength(70).map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(AdversarialValues.BAD_UTF8)),
                net.jqwik.api.Tuple.of(1, randomBytes(250)));
    }

    private static Arbitrary<byte[]> numbers() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.longs().map(n -> AdversarialValues.utf8(Long.toString(n)))),
                net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(-5, 5).map(n -> AdversarialValues.utf8(Long.toString(n)))),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(AdversarialValues.NUMBERS).map(AdversarialValues::utf8)),
                net.jqwik.api.Tuple.of(1, Arbitraries.bigIntegers().between(
                        java.math.BigInteger.TWO.pow(63).negate().subtract(java.math.BigInteger.TEN),
                        java.math.BigInteger.TWO.pow(63).add(java.math.BigInteger.TEN)).map(n -> AdversarialValues.utf8(n.toString()))),
                net.jqwik.api.Tuple.of(1, randomBytes(30)));
    }

    /** Unknown extra fields (sometimes huge), and repeats of known fields, which the last copy of wins. */
    private static Arbitrary<List<List<byte[]>>> extras() {
        Arbitrary<List<byte[]>> field = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Combinators.combine(Arbitraries.of("by", "value", "counter", "id", "op"),
                        numbers()).as((n, v) -> List.of(AdversarialValues.utf8(n), v))),
                net.jqwik.api.Tuple.of(1, Combinators.combine(randomBytes(20), Arbitraries.integers().between(0, 300_000))
                        .as((n, size) -> List.of(concat("x-".getBytes(), n), new byte[size]))));
        return field.list().ofMaxSize(2);
    }

    private static Arbitrary<byte[]> randomBytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(max);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
