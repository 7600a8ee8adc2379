package io.tally.producer.internal;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The producer's payload digest is docs/wire-format.md's: SHA-256, first 128 bits in hex, of the fields
 * other than id and ts ordered by name then position, each as {@code <len>:<name><len>:<value>}. The
 * expected values were computed apart from Java (Python's hashlib over the spelled-out text).
 */
class PayloadDigestTest {

    @Test
    void anOperation_digestsItsPayloadInNameOrder_withoutIdAndTs() {
        // sha256("2:by1:77:counter4:page2:op4:incr")[:32]
        String expected = "0ea502e6d4ae5e5c0f8a486584eeca70";
        assertThat(digest(EntryEncoder.encode(CounterOp.incr("page", 7)))).isEqualTo(expected);
        assertThat(digest(EntryEncoder.encode(CounterOp.incr("page", 7).withId("op-1").withTs(1_765_000_000_000L))))
                .isEqualTo(expected);
        assertThat(digest(EntryEncoder.encode(CounterOp.incr("page", 8).withId("op-1")))).isNotEqualTo(expected);
    }

    @Test
    void anEvent_digestsTheSameWhateverOrderItsParametersCameIn() {
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("a", "1");
        ab.put("b", "2");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("b", "2");
        ba.put("a", "1");
        String first = digest(EntryEncoder.encode(new Event("click", ab, "e-1", 5L)));
        assertThat(digest(EntryEncoder.encode(new Event("click", ba, "e-1", 6L)))).isEqualTo(first);
        // sha256("3:p.a1:13:p.b1:24:type5:click")[:32]
        assertThat(first).isEqualTo("1ecb0bef6e4fd17564a63dc9a2788de9");
    }

    @Test
    void aRepeatedName_keepsItsValuesInPosition_andLongPayloadsSortTheSame() {
        byte[][] repeated = {utf8("a"), utf8("1"), utf8("type"), utf8("click"), utf8("a"), utf8("2")};
        // sha256("1:a1:11:a1:24:type5:click")[:32]
        assertThat(digest(repeated)).isEqualTo("abe30d6537437f9bd53f17adb9556a1e");
        // past the insertion sort's size: 40 names given in reverse order digest as given in order
        byte[][] forward = new byte[80][];
        byte[][] backward = new byte[80][];
        for (int i = 0; i < 40; i++) {
            forward[2 * i] = utf8(String.format("p.%02d", i));
            forward[2 * i + 1] = utf8("v" + i);
            backward[78 - 2 * i] = forward[2 * i];
            backward[79 - 2 * i] = forward[2 * i + 1];
        }
        assertThat(digest(backward)).isEqualTo(digest(forward));
    }

    private static String digest(byte[][] fields) {
        return new String(PayloadDigest.of(fields), StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
