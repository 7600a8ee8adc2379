package io.tally.common.internal.keys;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionerTest {

    @Test
    void partitionEqualsUnsignedCrc32ModP_forRandomUnicodeKeys() {
        Random random = new Random(42);
        for (int p : new int[]{1, 7, 16, 64, 1000}) {
            Partitioner partitioner = new Partitioner(p);
            for (int i = 0; i < 2000; i++) {
                String key = randomString(random);
                CRC32 crc = new CRC32();
                crc.update(key.getBytes(StandardCharsets.UTF_8));
                assertThat(partitioner.partitionOf(key)).isEqualTo((int) (crc.getValue() % p));
            }
        }
    }

    @Test
    void knownValuesMatchPythonZlibCrc32() {
        // python3 -c "import zlib; print([zlib.crc32(s.encode()) % 16 for s in ['a','page:home','click','ü']])"
        Partitioner partitioner = new Partitioner(16);
        assertThat(partitioner.partitionOf("a")).isEqualTo(3);
        assertThat(partitioner.partitionOf("page:home")).isEqualTo(7);
        assertThat(partitioner.partitionOf("click")).isEqualTo(0);
        assertThat(partitioner.partitionOf("ü")).isEqualTo(5);
    }

    @Test
    void keysWithHighBitCrcAreNeverNegative() {
        Partitioner partitioner = new Partitioner(3);
        // crc32("a") = 0xE8B7BE43 has the top bit set: a signed int would give a negative remainder.
        assertThat(partitioner.partitionOf("a")).isEqualTo((int) (3904355907L % 3));
    }

    @Test
    void zeroPartitionsIsRefused() {
        assertThatThrownBy(() -> new Partitioner(0)).hasMessageContaining("at least 1");
    }

    private static String randomString(Random random) {
        StringBuilder sb = new StringBuilder();
        int len = 1 + random.nextInt(30);
        for (int i = 0; i < len; i++) {
            int cp = random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f);
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }
}
