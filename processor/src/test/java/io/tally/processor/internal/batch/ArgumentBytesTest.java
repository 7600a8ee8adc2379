package io.tally.processor.internal.batch;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ArgumentBytesTest {
    @Test
    void writesTextAsUtf8OfItsExactLength() {
        for (String s : new String[]{"", "c42", "zähler", "x€y", "日本"}) {
            byte[] b = new byte[ArgumentBytes.length(s) + 2];
            b[0] = '<';
            int end = ArgumentBytes.write(s, b, 1);
            b[end] = '>';
            assertThat(end + 1).isEqualTo(b.length);
            assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("<" + s + ">");
        }
    }

    @Test
    void writesSignedDecimals() {
        for (long v : new long[]{0, 7, 10, -1, -10, 99, 1_000_000, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1}) {
            byte[] b = new byte[ArgumentBytes.lengthSigned(v)];
            assertThat(ArgumentBytes.writeSigned(v, b, 0)).isEqualTo(b.length);
            assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo(Long.toString(v));
        }
    }

    @Test
    void writesUnsignedDecimals() {
        for (long v : new long[]{0, 9, 1_733_490_000_000L, Long.MAX_VALUE, Long.MIN_VALUE, -1}) {
            byte[] b = new byte[ArgumentBytes.lengthUnsigned(v)];
            assertThat(ArgumentBytes.writeUnsigned(v, b, 0)).isEqualTo(b.length);
            assertThat(new String(b, StandardCharsets.US_ASCII)).isEqualTo(Long.toUnsignedString(v));
        }
    }
}
