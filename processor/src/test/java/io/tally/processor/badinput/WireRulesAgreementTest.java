package io.tally.processor.badinput;

import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java codec ({@code WireCodec}/{@code WireFormat}) and the apply script judge every entry alike:
 * for a table of hard cases, the reason the script dead-letters an entry with (or that it applied it)
 * equals {@link Verdict}, which is {@code WireCodec.decodeOp/decodeEvent} plus the partition check.
 */
class WireRulesAgreementTest {
    private static BadInputPipeline pipeline;

    @BeforeAll
    static void start() {
        RedisServer.requireAvailable();
        pipeline = new BadInputPipeline();
    }

    @AfterAll
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void javaAndLuaAgreeOnEveryHardCase() {
        List<BadInputPipeline.Placed> placed = placed(hardCases());
        List<String> outcomes = pipeline.submit(placed);

        CounterModel model = new CounterModel();
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < placed.size(); i++) {
            BadInputPipeline.Placed p = placed.get(i);
            Verdict v = Verdict.of(p.entry(), p.partition(), BadInputPipeline.P);
            String expected = v.reason();
            if (v.applied() && v.op() != null && !model.apply(v.op())) {
                expected = "overflow";
            }
            if (!expected.equals(outcomes.get(i))) {
                disagreements.add(p.entry() + " on p" + p.partition() + ": Java " + expected + ", Lua " + outcomes.get(i));
            }
        }
        assertThat(disagreements).as("entries judged differently by Java and by apply.lua").isEmpty();
        assertThat(pipeline.counters()).isEqualTo(model.values());
        assertThat(pipeline.processorReady()).isTrue();
        System.out.println("wire rules agree on " + placed.size() + " hard cases");
    }

    /**
     * Names, numbers and bytes that are hard to judge, in the fields where each rule applies, and the bounds
     * of one entry. A table of cases, kept whole so that it reads as one list.
     */
    private static List<RawEntry> hardCases() {
        List<RawEntry> cases = new ArrayList<>();
        for (String name : AdversarialValues.NAMES) {
            cases.add(RawEntry.ops().field("op", "incr").field("counter", name).build());
            cases.add(RawEntry.ops().field("op", "incr").field("counter", "ok").field("id", name).build());
            cases.add(RawEntry.events().field("type", name).build());
            cases.add(RawEntry.events().field("type", "signup").field("p." + name, "v").build());
        }
        for (byte[] bad : AdversarialValues.BAD_UTF8) {
            cases.add(RawEntry.ops().field("op", "incr").field("counter", bad).build());
            cases.add(RawEntry.ops().field("op", "incr").field("counter", "ok").field("id", bad).build());
            cases.add(RawEntry.ops().field("op", bad).field("counter", "ok").build());
            cases.add(RawEntry.ops().field("op", "incr").field("counter", "ok").field("by", bad).build());
            cases.add(RawEntry.events().field("type", bad).build());
        }
        for (String n : AdversarialValues.NUMBERS) {
            for (String op : List.of("incr", "decr", "set")) {
                cases.add(RawEntry.ops().field("op", op).field("counter", "n").field(op.equals("set") ? "value" : "by", n).build());
            }
            cases.add(RawEntry.ops().field("op", "reset").field("counter", "n").field("ts", n).build());
        }
        cases.add(RawEntry.ops().field("counter", "x").build());
        cases.add(RawEntry.ops().field("op", "INCR").field("counter", "x").build());
        cases.add(RawEntry.ops().field("op", "incr ").field("counter", "x").build());
        cases.add(RawEntry.ops().field("op", "set").field("counter", "x").build());
        cases.add(RawEntry.ops().field("op", "incr").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "x").field("by", "5").field("by", "7").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "x").field("by", "x").field("by", "7").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "x").field("by", "7").field("by", "x").build());
        cases.add(RawEntry.ops().field("op", "decr").field("counter", "x").field("v", "1").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "x").field("junk", "y".repeat(200_000)).build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "bad id").field("id", "").field("by", "q").build());
        cases.add(RawEntry.events().field("id", "e").build());
        cases.add(RawEntry.events().field("type", "t").field("ts", "-0").build());
        // the bounds of one entry
        RawEntry.Builder manyParams = RawEntry.events().field("type", "t");
        for (int i = 0; i < 101; i++) {
            manyParams.field("p.k" + i, "v");
        }
        cases.add(manyParams.build());
        cases.add(RawEntry.events().field("type", "t").field("p.k", "x".repeat(65_537)).build());
        cases.add(RawEntry.events().field("type", "t").field("p.k", "x".repeat(65_536)).build());
        RawEntry.Builder manyFields = RawEntry.ops().field("op", "incr").field("counter", "x");
        for (int i = 0; i < 999; i++) {
            manyFields.field("x" + i, "v");
        }
        cases.add(manyFields.build());
        // the overflow of a running value: two entries on one counter
        cases.add(RawEntry.ops().field("op", "set").field("counter", "big").field("value", "9223372036854775806").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "big").field("by", "2").build());
        cases.add(RawEntry.ops().field("op", "incr").field("counter", "big").field("by", "1").build());
        cases.add(RawEntry.ops().field("op", "decr").field("counter", "big").field("by", "-1").build());
        return cases;
    }

    /** Each case on its routing key's partition, except every fifth, which goes to another. */
    private static List<BadInputPipeline.Placed> placed(List<RawEntry> cases) {
        Partitioner partitioner = new Partitioner(BadInputPipeline.P);
        List<BadInputPipeline.Placed> placed = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            RawEntry e = cases.get(i);
            byte[] key = e.map().get(e.topic().equals("ops") ? "counter" : "type");
            int home = key == null ? 0 : partitioner.partitionOf(key);
            placed.add(new BadInputPipeline.Placed(e, i % 5 == 4 ? (home + 1) % BadInputPipeline.P : home));
        }
        return placed;
    }
}
