package io.tally.producer.internal.read;

/**
 * The union of HyperLogLogs, merged here rather than in Redis: the stored strings are decoded as Redis 7 decodes
 * them (src/hyperloglog.c), merged register by register (the maximum), and counted with Redis's estimator for a
 * merged set, so that {@link #count()} equals {@code PFCOUNT key1 key2 ...} of the same values exactly.
 *
 * <p>A value Redis would refuse is refused with the same distinction: {@link NotAHyperLogLog} where PFCOUNT
 * answers WRONGTYPE (too short, no {@code HYLL} magic, unknown encoding, a dense value of the wrong length), and
 * {@link CorruptHyperLogLog} where it answers INVALIDOBJ (sparse opcodes that do not cover exactly 16384
 * registers). Not thread-safe; one union per instance.
 */
final class HyperLogLogUnion {
    /** Registers of every Redis HyperLogLog (HLL_P = 14). */
    static final int REGISTERS = 1 << 14;
    /** "HYLL", the encoding byte, three unused bytes, the cached cardinality (8 bytes). */
    static final int HEADER_BYTES = 16;
    /** Length of a dense HyperLogLog: the header and 16384 registers of 6 bits. */
    static final int DENSE_BYTES = HEADER_BYTES + REGISTERS * 6 / 8;

    private static final int DENSE = 0;
    private static final int SPARSE = 1;
    /** Bits of the hash left after the register index (HLL_Q): a register holds at most Q + 1. */
    private static final int Q = 64 - 14;
    /** 0.5 / ln(2), Redis's HLL_ALPHA_INF. */
    private static final double ALPHA_INF = 0.721347520444481703680;

    private final byte[] max = new byte[REGISTERS];

    /** Redis refuses the value as not a HyperLogLog string (WRONGTYPE). */
    static final class NotAHyperLogLog extends Exception {
        private static final long serialVersionUID = 1L;

        NotAHyperLogLog(String why) {
            super(why, null, false, false);
        }
    }

    /** Redis refuses the value as a corrupt HyperLogLog (INVALIDOBJ). */
    static final class CorruptHyperLogLog extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptHyperLogLog(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Merges one stored HyperLogLog into the union. A value that fails changes nothing of it only as far as the
     * caller stops there: like PFCOUNT, the union is not meant to be counted after a refusal.
     *
     * @param value the stored string, as GET returns it
     */
    void add(byte[] value) throws NotAHyperLogLog, CorruptHyperLogLog {
        if (value.length < HEADER_BYTES) {
            throw new NotAHyperLogLog(value.length + " bytes, shorter than a HyperLogLog's " + HEADER_BYTES + "-byte header");
        }
        if (value[0] != 'H' || value[1] != 'Y' || value[2] != 'L' || value[3] != 'L') {
            throw new NotAHyperLogLog("it does not start with HYLL");
        }
        int encoding = value[4] & 0xff;
        if (encoding == DENSE) {
            if (value.length != DENSE_BYTES) {
                throw new NotAHyperLogLog("a dense HyperLogLog is " + DENSE_BYTES + " bytes, this one " + value.length);
            }
            mergeDense(value);
        } else if (encoding == SPARSE) {
            mergeSparse(value);
        } else {
            throw new NotAHyperLogLog("unknown encoding " + encoding);
        }
    }

    /**
     * Registers packed 6 bits each, least significant bits first (HLL_DENSE_GET_REGISTER): every 3 bytes hold 4
     * registers.
     */
    private void mergeDense(byte[] v) {
        for (int i = 0, at = HEADER_BYTES; i < REGISTERS; i += 4, at += 3) {
            int b0 = v[at] & 0xff;
            int b1 = v[at + 1] & 0xff;
            int b2 = v[at + 2] & 0xff;
            raise(i, b0 & 63);
            raise(i + 1, (b0 >>> 6 | b1 << 2) & 63);
            raise(i + 2, (b1 >>> 4 | b2 << 4) & 63);
            raise(i + 3, b2 >>> 2);
        }
    }

    private void raise(int register, int value) {
        if (value > max[register]) {
            max[register] = (byte) value;
        }
    }

    /**
     * Run-length opcodes ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx, as hllMerge walks them since the fix
     * of CVE-2025-32023 (Redis 7.2.10, 7.4.5, 8.0.3 and distributions' patched 7.0): any run past register 16384 is
     * corrupt, and the runs must end exactly there. (Unpatched Redis ignored value runs after the last register.)
     */
    private void mergeSparse(byte[] v) throws CorruptHyperLogLog {
        int i = 0;
        int p = HEADER_BYTES;
        while (p < v.length) {
            int op = v[p] & 0xff;
            int run;
            int register = 0;
            if ((op & 0xc0) == 0) {
                run = (op & 0x3f) + 1;
                p++;
            } else if ((op & 0xc0) == 0x40) {
                // an XZERO cut after its first byte reads the string's terminating NUL, as in Redis
                int low = p + 1 < v.length ? v[p + 1] & 0xff : 0;
                run = (((op & 0x3f) << 8) | low) + 1;
                p += 2;
            } else {
                run = (op & 0x3) + 1;
                register = ((op >>> 2) & 0x1f) + 1;
                p++;
            }
            if (i + run > REGISTERS) {
                throw new CorruptHyperLogLog("its sparse registers run past register " + REGISTERS);
            }
            for (int r = i; register > 0 && r < i + run; r++) {
                raise(r, register);
            }
            i += run;
        }
        if (i != REGISTERS) {
            throw new CorruptHyperLogLog("its sparse registers end at register " + i + " of " + REGISTERS);
        }
    }

    /**
     * The estimated number of distinct members of the union, as Redis's hllCount computes it for its internal
     * merged (HLL_RAW) registers: Otmar Ertl's improved estimator over the register histogram, rounded half away
     * from zero. An empty union is 0.
     */
    long count() {
        int[] histogram = new int[64];
        for (byte register : max) {
            histogram[register]++;
        }
        double m = REGISTERS;
        double z = m * tau((m - histogram[Q + 1]) / m);
        for (int j = Q; j >= 1; --j) {
            z += histogram[j];
            z *= 0.5;
        }
        z += m * sigma(histogram[0] / m);
        // Redis computes the quotient in double and rounds it with llroundl; for a positive value that is
        // Math.round; z is infinite (0 here) when every register is 0
        return Math.round(ALPHA_INF * m * m / z);
    }

    /** hllSigma. */
    private static double sigma(double x) {
        if (x == 1.0) {
            return Double.POSITIVE_INFINITY;
        }
        double zPrime;
        double y = 1;
        double z = x;
        do {
            x *= x;
            zPrime = z;
            z += x * y;
            y += y;
        } while (zPrime != z);
        return z;
    }

    /** hllTau; Redis's pow(1 - x, 2) is compiled to the product (1 - x) * (1 - x), which is what this computes. */
    private static double tau(double x) {
        if (x == 0.0 || x == 1.0) {
            return 0.0;
        }
        double zPrime;
        double y = 1.0;
        double z = 1 - x;
        do {
            x = Math.sqrt(x);
            zPrime = z;
            y *= 0.5;
            double d = 1 - x;
            z -= d * d * y;
        } while (zPrime != z);
        return z / 3;
    }
}
