package io.tally.processor.internal.batch;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CounterNamesTest {
    /** 2^15 names of 30 bytes, all with the same {@code 31*h+b} hash ("Aa" and "BB" hash alike). */
    private static List<String> collidingNames() {
        List<String> out = new ArrayList<>();
        for (int bits = 0; bits < 1 << 15; bits++) {
            StringBuilder name = new StringBuilder(30);
            for (int i = 0; i < 15; i++) {
                name.append((bits >> i & 1) == 0 ? "Aa" : "BB");
            }
            out.add(name.toString());
        }
        return out;
    }

    @Test
    void namesOfEqualHashAreAcceptedAndFoundWithABoundedNumberOfProbes() {
        List<String> names = collidingNames();
        assertThat(names.stream().map(n -> Arrays.hashCode(n.getBytes(StandardCharsets.UTF_8))).distinct()).hasSize(1);
        CounterNames table = new CounterNames(0, 1);
        for (String name : names) {
            assertThat(accept(table, name)).isEqualTo(name);
        }
        assertThat(table.probes).isLessThanOrEqualTo((long) names.size() * CounterNames.MAX_PROBES);

        long before = table.probes;
        for (String name : names) {
            assertThat(accept(table, name)).isEqualTo(name);
        }
        // Linear probing over one cluster of 32,768 equal hashes takes ~n/2 probes per lookup: 5 * 10^8 in all.
        assertThat(table.probes - before).isLessThanOrEqualTo((long) names.size() * CounterNames.MAX_PROBES);
        assertThat(accept(table, "AaAa")).isEqualTo("AaAa");
        assertThat(accept(table, "")).isNull();
    }

    @Test
    void ordinaryNamesTakeOneOrTwoProbes() {
        CounterNames table = new CounterNames(0, 1);
        for (int i = 0; i < 10_000; i++) {
            accept(table, "counter-" + i);
        }
        long before = table.probes;
        for (int i = 0; i < 10_000; i++) {
            assertThat(accept(table, "counter-" + i)).isEqualTo("counter-" + i);
        }
        assertThat(table.probes - before).isLessThan(20_000);
    }

    private static String accept(CounterNames table, String name) {
        byte[] padded = ("xx" + name + "yy").getBytes(StandardCharsets.UTF_8);
        return table.accepted(padded, 2, padded.length - 4);
    }
}
