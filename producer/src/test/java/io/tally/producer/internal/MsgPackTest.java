package io.tally.producer.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MsgPackTest {

    @Test
    void stringsWrittenBackToBack_areReadBackByIndex_inEveryLengthForm() {
        // fixstr (0 and 31 bytes), str 8 (32, 255), str 16 (256, 65535), str 32 (65536)
        List<byte[]> strings = List.of(new byte[0], fill(31, 'a'), fill(32, 'b'), fill(255, 'c'), fill(256, 'd'),
                fill(65_535, 'e'), fill(65_536, 'f'), "ü".getBytes(StandardCharsets.UTF_8));
        int size = 0;
        for (byte[] s : strings) {
            size += MsgPack.packedSize(s);
        }
        byte[] packed = new byte[size];
        int at = 0;
        for (byte[] s : strings) {
            at = MsgPack.writeString(packed, at, s);
        }
        assertThat(at).isEqualTo(size);
        for (int i = 0; i < strings.size(); i++) {
            assertThat(MsgPack.stringAt(packed, i)).as("string %d", i).isEqualTo(strings.get(i));
        }
        assertThatThrownBy(() -> MsgPack.stringAt(packed, strings.size()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no string 8: the bytes hold 8");
    }

    @Test
    void aStringIsReadBackFromWhereItStarts_inEveryLengthForm() {
        for (int length : new int[]{0, 31, 32, 255, 256, 65_535, 65_536}) {
            byte[] s = fill(length, 'x');
            byte[] packed = new byte[2 + MsgPack.packedSize(s) + 1];
            int end = MsgPack.writeString(packed, 2, s);
            assertThat(end - 2).isEqualTo(MsgPack.headerSize(length) + length);
            assertThat(MsgPack.stringFrom(packed, 2)).as("length %d", length).isEqualTo(s);
        }
    }

    @Test
    void aByteThatStartsNoString_isRefused() {
        assertThatThrownBy(() -> MsgPack.stringAt(new byte[]{(byte) 0xa1, 'x', (byte) 0xc0}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no MessagePack string at byte 2: 0xc0");
    }

    private static byte[] fill(int length, char c) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) c);
        return b;
    }
}
