package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.processor.badinput.HostileScripts.fields;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * apply.lua takes a number of an entry only as the wire format spells it (a canonical signed 64-bit
 * decimal, as Java's DecimalBytes and WireFormat do): fractions and exponents are bad numbers, never
 * rounded into a counter; a stored value that is not an integer is not_integer.
 */
class CanonicalNumbersTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private String ops() {
        return h.keys.ops(PART);
    }

    private String counter(String name) {
        return text(h.redis.call("HGET", h.keys.counters(PART), name));
    }

    /** apply.lua over the new ops entries; its summary of dead letters ('reason=n,...'). */
    private String deadLettersOfNewOps() {
        Object reply = h.apply(LEASE, ">", "");
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return text(((List<?>) reply).get(7));
    }

    @Test
    void aFractionalBy_isABadNumber_notARoundedIncrement() {
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "0.5"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "0.5"));
        assertThat(deadLettersOfNewOps()).isEqualTo("bad_number=2");
        assertThat(counter("c")).as("two entries the wire format forbids made the counter 1").isNull();
    }

    @Test
    void exponentsOnSetIncrAndTs_areBadNumbers() {
        h.xadd(ops(), "*", fields("op", "set", "counter", "c", "value", "1e+14"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1e-05"));
        h.xadd(ops(), "*", fields("op", "decr", "counter", "c", "by", "1.5"));
        h.xadd(ops(), "*", fields("op", "reset", "counter", "c", "ts", "1e3"));
        assertThat(deadLettersOfNewOps()).isEqualTo("bad_number=4");
        assertThat(counter("c")).isNull();
    }

    @Test
    void aSetOf1e300_neverStoresANonIntegerCounter() {
        h.xadd(ops(), "*", fields("op", "set", "counter", "c", "value", "1e+300"));
        assertThat(deadLettersOfNewOps()).isEqualTo("bad_number=1");
        assertThat(counter("c")).as("Tally itself would have written a counter value that is not an integer").isNull();
    }

    @Test
    void canonicalIntegersOfEveryLength_stillApply() {
        h.xadd(ops(), "*", fields("op", "set", "counter", "c", "value", "-9223372036854775808"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "9223372036854775807"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "d", "by", "0"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "d", "by", "-12345678901234"));
        h.xadd(ops(), "*", fields("op", "incr", "counter", "d", "by", "123456789012345", "ts", "1700000000000"));
        assertThat(deadLettersOfNewOps()).isEmpty();
        assertThat(counter("c")).isEqualTo("-1");
        assertThat(counter("d")).isEqualTo("111111110111111");
    }

    @Test
    void aStoredFraction_isNotIntegerForIncr_andSetOverwritesIt() {
        // wire-format.md: a stored '1.5' is not_integer; incr/decr on it become dead letters on both paths
        h.redis.call("HSET", h.keys.counters(PART), "c", "1.5", "d", "2.5");
        h.xadd(ops(), "*", fields("op", "incr", "counter", "c", "by", "1"));
        h.xadd(ops(), "*", fields("op", "set", "counter", "d", "value", "7"));
        assertThat(deadLettersOfNewOps()).isEqualTo("not_integer=1");
        assertThat(counter("c")).isEqualTo("1.5");
        assertThat(counter("d")).isEqualTo("7");
    }
}
