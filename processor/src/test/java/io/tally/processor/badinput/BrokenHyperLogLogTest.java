package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A unique entry whose HyperLogLog (its counter's, or a bucket's of its windows) is not one that PFADD
 * takes, because someone else wrote the key: the entry is a dead letter (not_hll) decided before the
 * batch's first write, and the rest of its batch applies once, never again on a retry.
 */
class BrokenHyperLogLogTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String ops() {
        return h.keys.ops(PART);
    }

    private String hll(String counter) {
        return h.keys.hllPrefix(PART) + counter;
    }

    private String counter(String name) {
        return text(h.redis.call("HGET", h.keys.counters(PART), name));
    }

    private static List<?> list(Object reply) {
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    /** A sparse HyperLogLog header whose cached count (0) is valid, then the given opcodes. */
    private static byte[] sparse(int... opcodes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        for (int op : opcodes) {
            out.write(op);
        }
        return out.toByteArray();
    }

    /**
     * An incr of c, a unique of u (broken) and one of v in one batch: the batch completes, with the incr and
     * v's member applied and u's entry a dead letter naming the key.
     */
    private void aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(String brokenKey, String why) {
        Object dumpBefore = h.redis.call("DUMP", brokenKey);
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "u", "member", "m", "windows", "1m"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "v", "member", "m"));

        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(3))).as("applied").isEqualTo("3");
        assertThat(text(reply.get(7))).isEqualTo("not_hll=1");
        Map<String, Object> letter = RawRedis.asMap(((List<?>) ((List<?>) h.redis.call("XRANGE", h.keys.dlq(PART), "-", "+"))
                .get(0)).get(1));
        assertThat(text(letter.get("reason"))).isEqualTo("not_hll");
        assertThat(text(letter.get("error"))).contains(brokenKey + " " + why);
        assertThat(text(letter.get("f.counter"))).isEqualTo("u");
        assertThat(h.redis.call("DUMP", brokenKey)).as("the broken key, untouched").isEqualTo(dumpBefore);
        assertThat(h.redis.call("PFCOUNT", hll("v"))).isEqualTo(1L);

        assertThat(counter("c")).as("one incr by 1").isEqualTo("1");
        assertThat(text(h.redis.call("HGET", h.keys.checkpoint(PART), "ops"))).as("checkpoint past the batch")
                .isEqualTo(text(reply.get(6)));
        assertThat(((List<?>) h.redis.call("XPENDING", ops(), "tally")).get(0)).as("pending after the batch").isEqualTo(0L);
    }

    @Test
    void aPlainStringWhereTheCountersHyperLogLogLives_makesTheUniqueADeadLetter() {
        h.redis.call("SET", hll("u"), "not a hyperloglog");
        aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(hll("u"), "is not a valid HyperLogLog");
    }

    @Test
    void aHashWhereTheCountersHyperLogLogLives_makesTheUniqueADeadLetter() {
        h.redis.call("HSET", hll("u"), "a", "b");
        aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(hll("u"), "holds a hash, not a HyperLogLog");
    }

    @Test
    void aSparseBodyThatCoversTooFewRegisters_isCaughtThoughItsCachedCountAnswersPfcount() {
        byte[] broken = sparse(0x00); // one ZERO opcode: 1 of 16,384 registers
        h.redis.call("SET", hll("u"), broken);
        assertThat(h.redis.reply("PFCOUNT", hll("u"))).as("one key: answered from the cached count").isEqualTo(0L);
        h.redis.call("SET", "copy", broken);
        assertThat(h.redis.reply("PFADD", "copy", "m")).as("PFADD walks the body").isInstanceOf(RawRedis.Error.class);
        h.redis.call("DEL", "copy");
        aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(hll("u"), "is not a valid HyperLogLog");
    }

    @Test
    void aDenseHeaderOfTheWrongLength_makesTheUniqueADeadLetter() {
        byte[] dense = new byte[16 + 100];
        System.arraycopy(new byte[] {'H', 'Y', 'L', 'L'}, 0, dense, 0, 4);
        h.redis.call("SET", hll("u"), dense);
        aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(hll("u"), "is not a valid HyperLogLog");
    }

    @Test
    void aStringLongerThanAnyHyperLogLog_makesTheUniqueADeadLetter_unread() {
        h.redis.call("SET", hll("u"), "HYLL" + "x".repeat(1 << 20));
        aBatchWithAUniqueOnABrokenKey_deadLettersItAndAppliesTheIncrOnce(hll("u"), "is not a valid HyperLogLog");
    }

    @Test
    void aBrokenBucketHyperLogLog_makesTheUniqueADeadLetter_withoutAddingToItsCounter() {
        long now = Long.parseLong(text(((List<?>) h.redis.call("TIME")).get(0))) * 1000;
        // the 1m bucket of now, or of the next minute should the clock pass it before apply reads TIME
        List<String> buckets = new ArrayList<>();
        for (long start = now - now % 60_000; start <= now + 60_000; start += 60_000) {
            String key = h.keys.hllBucketPrefix(PART) + "1m:" + start + ":u";
            h.redis.call("SET", key, "x");
            buckets.add(key);
        }
        h.xadd(ops(), "*", fields("op", "unique", "counter", "u", "member", "m", "windows", "1m"));
        List<?> reply = list(h.apply(LEASE, ">", ""));
        assertThat(text(reply.get(7))).isEqualTo("not_hll=1");
        assertThat(h.redis.call("EXISTS", hll("u"))).as("nothing of the entry applied").isEqualTo(0L);
        for (String key : buckets) {
            assertThat(text(h.redis.call("GET", key))).isEqualTo("x");
        }
    }

    @Test
    void validDenseAndSparseHyperLogLogs_takeTheirMembers() {
        List<Object> members = new ArrayList<>(List.of("PFADD", hll("dense")));
        for (int i = 0; i < 5000; i++) {
            members.add("m" + i);
        }
        h.redis.call(members);
        h.redis.call("PFADD", hll("sparse"), "a", "b");
        assertThat(h.redis.call("STRLEN", hll("dense"))).as("dense").isEqualTo(16L + 12288);
        long dense = (Long) h.redis.call("PFCOUNT", hll("dense"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "dense", "member", "new-1"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "dense", "member", "new-2"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "sparse", "member", "c"));
        h.xadd(ops(), "*", fields("op", "unique", "counter", "fresh", "member", "a"));
        assertThat(text(list(h.apply(LEASE, ">", "")).get(7))).isEmpty();
        assertThat((Long) h.redis.call("PFCOUNT", hll("dense"))).isGreaterThan(dense);
        assertThat(h.redis.call("PFCOUNT", hll("sparse"))).isEqualTo(3L);
        assertThat(h.redis.call("PFCOUNT", hll("fresh"))).isEqualTo(1L);
    }
}
