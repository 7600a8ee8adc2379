package io.tally.common.internal.keys;


import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class HashSlotTest {
    @Test
    void crc16IsXmodem() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(HashSlot.crc16(check)).isEqualTo(0x31C3);
    }

    @Test
    void slotsAreRedisKeySlots() {
        // values of CLUSTER KEYSLOT on Redis 7
        assertThat(HashSlot.ofKey("foo")).isEqualTo(12182);
        assertThat(HashSlot.ofKey("bar")).isEqualTo(5061);
        assertThat(HashSlot.ofKey("{p0}")).isEqualTo(HashSlot.ofKey("p0"));
    }

    @Test
    void hashTagDecidesWhenNotEmpty() {
        assertThat(HashSlot.ofKey("tally:{p7}:ops")).isEqualTo(HashSlot.ofKey("other:{p7}:events"));
        assertThat(HashSlot.ofKey("a{}b")).isNotEqualTo(HashSlot.ofKey("b"));
        assertThat(HashSlot.ofKey("a{}b")).isEqualTo(slotOfWhole("a{}b"));
        assertThat(HashSlot.ofKey("x{tag}y{other}")).isEqualTo(HashSlot.ofKey("tag"));
        assertThat(HashSlot.ofKey("no-close{tag")).isEqualTo(slotOfWhole("no-close{tag"));
    }

    private static int slotOfWhole(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        return HashSlot.crc16(b) % HashSlot.SLOTS;
    }
}
