package io.tally.processor.internal.housekeeping;

import io.tally.common.internal.redis.LuaScript;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * retention.lua trims below the successor of a group's last-delivered id, computed on digits: with
 * Lua numbers an id past 2^53 rounds, and 9007199254740995-0 became 9007199254740996-1, which trimmed
 * the undelivered entry 9007199254740995-1.
 */
@ExtendWith(RealRedisExtension.class)
class RetentionScriptIdsTest {
    private static final LuaScript RAW = LuaScript.of("raw_command", "return redis.call(unpack(ARGV))");
    private static final String MAX_ID = "18446744073709551615-18446744073709551615";
    private RedissonClient client;
    private String stream;
    private String lease;
    private String checkpoints;

    @BeforeEach
    void open(TestRedis redis) {
        client = redis.client();
        String ns = TestRedis.uniqueNamespace();
        stream = ns + ":{p0}:ops";
        lease = ns + ":{p0}:lease";
        checkpoints = ns + ":{p0}:checkpoint";
        raw("SET", lease, "me");
    }

    @Test
    void anUndeliveredEntryJustAfterALastDeliveredIdPastTwoToThe53Stays() {
        raw("XADD", stream, "9007199254740995-0", "f", "v");
        raw("XADD", stream, "9007199254740995-1", "f", "v");
        deliverAndAcknowledgeOne();

        List<Object> result = retention();

        assertThat(result).containsExactly("OK", 1L);
        assertThat(ids()).containsExactly("9007199254740995-1");
    }

    @Test
    void aLastDeliveredIdThatIsTheLargestIdTrimsWhatIsBelowIt() {
        raw("XADD", stream, "5-0", "f", "v");
        raw("XADD", stream, MAX_ID, "f", "v");
        raw("XGROUP", "CREATE", stream, "tally", "0");
        raw("XREADGROUP", "GROUP", "tally", "c", "COUNT", "2", "STREAMS", stream, ">");
        raw("XACK", stream, "tally", "5-0", MAX_ID);

        List<Object> result = retention();

        assertThat(result).containsExactly("OK", 1L);
        assertThat(ids()).containsExactly(MAX_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"01-0", "1-01", "99999999999999999999999-0", "18446744073709551616-0", "x", ""})
    void aCheckpointThatIsNoStreamIdTrimsNothingAlthoughAnotherProgramAcknowledgedEverything(String checkpoint) {
        for (int i = 1; i <= 5; i++) {
            raw("XADD", stream, i + "-0", "f", "v");
        }
        raw("XGROUP", "CREATE", stream, "tally", "0");
        raw("XREADGROUP", "GROUP", "tally", "c", "COUNT", "5", "STREAMS", stream, ">");
        raw("XACK", stream, "tally", "1-0", "2-0", "3-0", "4-0", "5-0");
        raw("HSET", checkpoints, "ops", checkpoint);

        List<Object> result = OutputRetention.STREAM.eval(client, StringCodec.INSTANCE, RScript.ReturnType.LIST,
                List.of(stream, lease, checkpoints), "me", "", "ops");

        // apply.lua refuses such a checkpoint, so none of these entries is known to be applied
        assertThat(result).containsExactly("OK", 0L);
        assertThat(ids()).containsExactly("1-0", "2-0", "3-0", "4-0", "5-0");
    }

    @Test
    void aCheckpointTrimsUpToItselfOnly() {
        for (int i = 1; i <= 5; i++) {
            raw("XADD", stream, i + "-0", "f", "v");
        }
        raw("XGROUP", "CREATE", stream, "tally", "0");
        raw("XREADGROUP", "GROUP", "tally", "c", "COUNT", "5", "STREAMS", stream, ">");
        raw("XACK", stream, "tally", "1-0", "2-0", "3-0", "4-0", "5-0");
        raw("HSET", checkpoints, "ops", "2-0");

        List<Object> result = OutputRetention.STREAM.eval(client, StringCodec.INSTANCE, RScript.ReturnType.LIST,
                List.of(stream, lease, checkpoints), "me", "", "ops");

        assertThat(result).containsExactly("OK", 2L);
        assertThat(ids()).containsExactly("3-0", "4-0", "5-0");
    }

    private void deliverAndAcknowledgeOne() {
        raw("XGROUP", "CREATE", stream, "tally", "0");
        raw("XREADGROUP", "GROUP", "tally", "c", "COUNT", "1", "STREAMS", stream, ">");
        raw("XACK", stream, "tally", "9007199254740995-0");
    }

    private List<Object> retention() {
        return OutputRetention.STREAM.eval(client, StringCodec.INSTANCE, RScript.ReturnType.LIST,
                List.of(stream, lease), "me");
    }

    @SuppressWarnings("unchecked")
    private List<String> ids() {
        List<Object> entries = RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.LIST, List.of(stream),
                "XRANGE", stream, "-", "+");
        return entries.stream().map(e -> (String) ((List<Object>) e).get(0)).toList();
    }

    private void raw(String... command) {
        RAW.eval(client, StringCodec.INSTANCE, RScript.ReturnType.VALUE, List.of(stream), (Object[]) command);
    }
}
