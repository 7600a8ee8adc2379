package io.tally.producer.internal.read;

import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link HyperLogLogUnion} against Redis itself: HyperLogLogs that Redis built (PFADD) or accepts (forged dense and
 * sparse strings), read back with GET, merge and count to exactly {@code PFCOUNT key1 key2 ...} of the same keys on
 * the same redis-server, and a value Redis refuses is refused the same way (WRONGTYPE: not a HyperLogLog,
 * INVALIDOBJ: corrupt).
 */
@ExtendWith(RealRedisExtension.class)
class HyperLogLogUnionTest {
    private static final int CASES = 60;
    private static RawRedis redis;
    private static String prefix;
    private static int denseSeen;
    private static int sparseSeen;
    private static int hundredThousandsSeen;

    @BeforeAll
    static void open(TestRedis testRedis) {
        redis = new RawRedis(testRedis.url());
        prefix = TestRedis.uniqueNamespace() + ":hll:";
    }

    @AfterAll
    static void close() {
        try {
            assertThat(denseSeen).as("dense HyperLogLogs among the PFADD cases").isGreaterThan(CASES / 2);
            assertThat(sparseSeen).as("sparse HyperLogLogs among the PFADD cases").isGreaterThan(CASES);
            assertThat(hundredThousandsSeen).as("keys of ~100k members among the PFADD cases").isGreaterThan(5);
            redis.deletePattern(prefix + "*");
        } finally {
            redis.close();
        }
    }

    static LongStream seeds() {
        return LongStream.rangeClosed(1, CASES);
    }

    /**
     * 2-50 keys of a few members, hundreds, thousands (Redis turns them dense past hll-sparse-max-bytes) or ~100k,
     * drawn from one range of members so that their sets overlap.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theUnionOfPfaddedKeys_isPfcountOfThoseKeys_andEachKeyAloneIsItsPfcount(long seed) {
        Random random = new Random(seed);
        int n = 2 + random.nextInt(49);
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            String key = prefix + seed + ":" + k;
            keys.add(key);
            int members = switch (random.nextInt(10)) {
                case 0, 1, 2 -> 1 + random.nextInt(20);
                case 3, 4, 5 -> 20 + random.nextInt(2_000);
                case 6, 7, 8 -> 2_000 + random.nextInt(20_000);
                default -> k < 3 ? 90_000 + random.nextInt(20_000) : 1 + random.nextInt(5);
            };
            pfadd(key, random.nextInt(200_000), members);
            hundredThousandsSeen += members >= 90_000 ? 1 : 0;
        }
        HyperLogLogUnion union = new HyperLogLogUnion();
        for (String key : keys) {
            byte[] value = (byte[]) redis.call("GET", key);
            if (value[4] == 0) {
                denseSeen++;
            } else {
                sparseSeen++;
            }
            assertThat(countOf(value)).as("%s alone (encoding %d)", key, value[4]).isEqualTo(redis.callLong("PFCOUNT", key));
            add(union, value);
        }
        // a key no unique entry made is absent from the union, as PFCOUNT takes it as empty
        keys.add(prefix + seed + ":missing");

        assertThat(union.count()).isEqualTo(pfcount(keys));
    }

    /** Dense strings of random registers (0-63, beyond what a hash gives): Redis accepts them as they are. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void forgedDenseAndSparseValuesRedisAccepts_countAsPfcountCountsThem(long seed) {
        Random random = new Random(seed);
        List<String> keys = new ArrayList<>();
        HyperLogLogUnion union = new HyperLogLogUnion();
        int n = 2 + random.nextInt(6);
        for (int k = 0; k < n; k++) {
            String key = prefix + "forged:" + seed + ":" + k;
            byte[] value = random.nextBoolean() ? randomDense(random) : randomSparse(random);
            redis.call("SET", key, value);
            keys.add(key);
            add(union, value);
        }

        assertThat(union.count()).isEqualTo(pfcount(keys));
    }

    @Test
    void anEmptyUnion_countsZero_asPfcountOfMissingKeys() {
        assertThat(new HyperLogLogUnion().count()).isZero().isEqualTo(pfcount(List.of(prefix + "none-a", prefix + "none-b")));
    }

    @Test
    void valuesRedisRefusesAsNotAHyperLogLog_areRefused() {
        byte[] dense = denseOf(prefix + "dense-source");
        byte[] badMagic = dense.clone();
        badMagic[3] = 'X';
        byte[] unknownEncoding = sparse(xzero(16_384));
        unknownEncoding[4] = 2;
        for (byte[] value : List.of(Arrays.copyOf(dense, dense.length - 1), Arrays.copyOf(dense, dense.length + 1),
                badMagic, unknownEncoding, Arrays.copyOf(dense, 15), "12345".getBytes(StandardCharsets.US_ASCII),
                new byte[0])) {
            assertThat(redisRefusal(value)).as("Redis on %d bytes", value.length).startsWith("WRONGTYPE");
            assertThatThrownBy(() -> new HyperLogLogUnion().add(value)).as("%d bytes", value.length)
                    .isInstanceOf(HyperLogLogUnion.NotAHyperLogLog.class);
        }
    }

    @Test
    void sparseValuesWhoseRunsDoNotCoverExactly16384Registers_areCorrupt() {
        List<byte[]> corrupt = List.of(
                sparse(xzero(16_384), zero(1)),                        // zero run past the end
                sparse(xzero(16_383), val(3, 2)),                      // value run past the end
                sparse(xzero(16_000)),                                 // short
                sparse(),                                              // no register at all
                sparse(xzero(16_384), zero(1), val(2, 1)),             // past the end, then a value
                sparse(xzero(16_384), xzero(16_384), xzero(16_384)),   // far past the end
                sparse(xzero(16_383), val(7, 1), val(30, 4)));         // a value run after the last register
        for (byte[] value : corrupt) {
            assertThat(redisRefusal(value)).startsWith("INVALIDOBJ");
            assertThatThrownBy(() -> new HyperLogLogUnion().add(value))
                    .isInstanceOf(HyperLogLogUnion.CorruptHyperLogLog.class);
        }
    }

    /** Redis accepts an XZERO cut after its first byte: it reads the string's terminating NUL as the second. */
    @Test
    void aSparseValueEndingInHalfAnXzero_countsAsRedisCountsIt() {
        for (byte[] value : List.of(sparse(val(5, 1), xzero(16_384 - 1 - 257), new byte[] {0x41}))) { // 257 zeros
            String key = prefix + "quirk:" + UUID.randomUUID();
            redis.call("SET", key, value);
            HyperLogLogUnion union = new HyperLogLogUnion();
            add(union, value);

            assertThat(union.count()).isEqualTo(pfcount(List.of(key, prefix + "none"))).isPositive();
        }
    }

    // ---------- helpers ----------

    private static void pfadd(String key, int from, int members) {
        redis.call("DEL", key);
        for (int start = 0; start < members; start += 5_000) {
            List<Object> args = new ArrayList<>();
            args.add("PFADD");
            args.add(key);
            for (int i = start; i < Math.min(members, start + 5_000); i++) {
                args.add("m" + (from + i));
            }
            redis.call(args);
        }
    }

    private static long pfcount(List<String> keys) {
        List<Object> args = new ArrayList<>();
        args.add("PFCOUNT");
        args.addAll(keys);
        return ((Number) redis.call(args)).longValue();
    }

    /** Redis's error for a union of {@code value} with a valid HyperLogLog. */
    private static String redisRefusal(byte[] value) {
        String key = prefix + "refused:" + UUID.randomUUID();
        String good = prefix + "good";
        redis.call("PFADD", good, "a", "b");
        redis.call("SET", key, value);
        Object reply = redis.reply("PFCOUNT", good, key);
        assertThat(reply).as("PFCOUNT of a value Redis refuses").isInstanceOf(RawRedis.Error.class);
        return ((RawRedis.Error) reply).message();
    }

    private static long countOf(byte[] value) {
        HyperLogLogUnion one = new HyperLogLogUnion();
        add(one, value);
        return one.count();
    }

    private static void add(HyperLogLogUnion union, byte[] value) {
        try {
            union.add(value);
        } catch (HyperLogLogUnion.NotAHyperLogLog | HyperLogLogUnion.CorruptHyperLogLog e) {
            throw new AssertionError("Redis accepted a value the union refused: " + e.getMessage(), e);
        }
    }

    private static byte[] denseOf(String key) {
        pfadd(key, 0, 20_000);
        byte[] value = (byte[]) redis.call("GET", key);
        assertThat(value).hasSize(HyperLogLogUnion.DENSE_BYTES);
        return value;
    }

    private static byte[] header(int encoding) {
        byte[] h = new byte[HyperLogLogUnion.HEADER_BYTES];
        h[0] = 'H';
        h[1] = 'Y';
        h[2] = 'L';
        h[3] = 'L';
        h[4] = (byte) encoding;
        h[15] = (byte) 0x80; // no cached cardinality
        return h;
    }

    private static byte[] randomDense(Random random) {
        byte[] v = Arrays.copyOf(header(0), HyperLogLogUnion.DENSE_BYTES);
        int zeros = random.nextInt(101); // percent of registers left 0: small, mid and large estimates
        int high = 1 + random.nextInt(63);
        for (int i = 0; i < HyperLogLogUnion.REGISTERS; i++) {
            int register = random.nextInt(100) < zeros ? 0 : 1 + random.nextInt(high);
            int bit = i * 6;
            int at = HyperLogLogUnion.HEADER_BYTES + bit / 8;
            int shift = bit % 8;
            v[at] |= (byte) (register << shift);
            if (shift > 2) {
                v[at + 1] |= (byte) (register >>> (8 - shift));
            }
        }
        return v;
    }

    /** A valid sparse string: random runs of zeros and values (1-32) covering exactly 16384 registers. */
    private static byte[] randomSparse(Random random) {
        ByteArrayOutputStream ops = new ByteArrayOutputStream();
        int left = HyperLogLogUnion.REGISTERS;
        while (left > 0) {
            int kind = random.nextInt(3);
            if (kind == 0) {
                int run = Math.min(left, 1 + random.nextInt(64));
                ops.writeBytes(zero(run));
                left -= run;
            } else if (kind == 1) {
                int run = Math.min(left, 1 + random.nextInt(random.nextBoolean() ? 16_384 : 300));
                ops.writeBytes(xzero(run));
                left -= run;
            } else {
                int run = Math.min(left, 1 + random.nextInt(4));
                ops.writeBytes(val(1 + random.nextInt(32), run));
                left -= run;
            }
        }
        return sparse(ops.toByteArray());
    }

    private static byte[] sparse(byte[]... opcodes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header(1));
        for (byte[] op : opcodes) {
            out.writeBytes(op);
        }
        return out.toByteArray();
    }

    private static byte[] zero(int run) {
        return new byte[] {(byte) (run - 1)};
    }

    private static byte[] xzero(int run) {
        return new byte[] {(byte) (0x40 | (run - 1) >>> 8), (byte) (run - 1)};
    }

    private static byte[] val(int value, int run) {
        return new byte[] {(byte) (0x80 | (value - 1) << 2 | (run - 1))};
    }
}
