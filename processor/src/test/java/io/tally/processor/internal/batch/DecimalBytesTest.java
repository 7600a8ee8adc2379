package io.tally.processor.internal.batch;

import io.tally.common.internal.wire.WireFormat;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DecimalBytesTest {
    private final DecimalBytes decimal = new DecimalBytes();

    @Test
    void agreesWithTheWireFormatRulesOnEdgeCases() {
        List<String> cases = new ArrayList<>(List.of("0", "-0", "00", "01", "-01", "1", "-1", "+1", "", "-", "--1",
                "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                "99999999999999999999", "1000000000000000000", "12x", "1 ", " 1", "1.0", "1e3", "٣"));
        for (String s : cases) {
            assertAgrees(s);
        }
    }

    @Test
    void agreesWithTheWireFormatRulesOnRandomStrings() {
        Random random = new Random(11);
        String alphabet = "0123456789-+x ";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder s = new StringBuilder();
            int len = random.nextInt(22);
            for (int k = 0; k < len; k++) {
                s.append(k > 0 || random.nextInt(3) > 0 ? alphabet.charAt(random.nextInt(10 + (random.nextInt(8) == 0 ? 4 : 0)))
                        : '-');
            }
            assertAgrees(s.toString());
        }
        for (int i = 0; i < 100_000; i++) {
            assertAgrees(Long.toString(random.nextLong() >> random.nextInt(64)));
        }
    }

    @Test
    void parsesWithinALargerBuffer() {
        byte[] b = "xx-42yy".getBytes(StandardCharsets.US_ASCII);
        assertThat(decimal.parse(b, 2, 3)).isTrue();
        assertThat(decimal.value()).isEqualTo(-42);
    }

    private void assertAgrees(String s) {
        boolean expected = WireFormat.isCanonicalInteger(s) && fitsLong(s);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        assertThat(decimal.parse(b, 0, b.length)).as("'%s'", s).isEqualTo(expected);
        if (expected) {
            assertThat(decimal.value()).as("'%s'", s).isEqualTo(Long.parseLong(s));
        }
    }

    private static boolean fitsLong(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
