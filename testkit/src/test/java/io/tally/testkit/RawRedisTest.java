package io.tally.testkit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test kit's RESP client against a redis-server of its own. */
class RawRedisTest {
    private static RedisServer server;
    private static RawRedis redis;

    @BeforeAll
    static void start() {
        RedisServer.requireAvailable();
        server = RedisServer.start();
        redis = new RawRedis(server.url());
    }

    @AfterAll
    static void stop() {
        redis.close();
        server.close();
    }

    @BeforeEach
    void empty() {
        redis.call("FLUSHALL");
    }

    @Test
    void bytesThatAreNotUtf8_comeBackExactly() {
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        redis.call("SET", new byte[]{(byte) 0xff, 0, 'k'}, value);

        assertThat((byte[]) redis.call("GET", new byte[]{(byte) 0xff, 0, 'k'})).isEqualTo(value);
    }

    @Test
    void aPipelineReturnsEachReplyInOrder_errorsAsValues() {
        List<Object> replies = redis.pipeline(List.of(List.of("SET", "a", "x"), List.of("INCR", "a"),
                List.of("GET", "a"), List.of("GET", "missing"), List.of("RPUSH", "l", 1, 2)));

        assertThat(replies.get(0)).isEqualTo("OK");
        assertThat(replies.get(1)).isInstanceOfSatisfying(RawRedis.Error.class,
                e -> assertThat(e.message()).startsWith("ERR value is not an integer"));
        assertThat(RawRedis.text(replies.get(2))).isEqualTo("x");
        assertThat(replies.get(3)).isNull();
        assertThat(replies.get(4)).isEqualTo(2L);
    }

    @Test
    void callThrowsOnAnErrorReplyNamingTheCommand_replyReturnsIt() {
        redis.call("SET", "a", "x");

        assertThatThrownBy(() -> redis.call("INCR", "a")).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("INCR: ERR value is not an integer");
        assertThat(redis.reply("INCR", "a")).isInstanceOf(RawRedis.Error.class);
        assertThat(redis.callText("GET", "a")).isEqualTo("x"); // still in step after the errors
    }

    @Test
    void nestedArraysReadAsListsAndRenderAsText() {
        Object reply = redis.call("EVAL", "return {1, 'a', {2, 'b'}, false}", 0);

        assertThat(RawRedis.text(reply)).isEqualTo("[1, a, [2, b], null]");
    }

    @Test
    void aCommandCarriesTenThousandArguments_repeatedStreamFieldsStayPaired() {
        List<Object> xadd = new ArrayList<>(List.of("XADD", "s", "*"));
        for (int i = 0; i < 5000; i++) {
            xadd.add("f");
            xadd.add(Integer.toString(i));
        }
        redis.call(xadd);

        List<?> entry = (List<?>) ((List<?>) redis.call("XRANGE", "s", "-", "+")).get(0);
        List<String[]> fields = RawRedis.pairs(entry.get(1));
        assertThat(fields).hasSize(5000);
        assertThat(fields.get(4999)).containsExactly("f", "4999");
    }

    @Test
    void deletePatternRemovesEveryMatchingKeyAndNoOther() {
        for (int i = 0; i < 2500; i++) {
            redis.send("SET", "ns:" + i, "v");
        }
        redis.send("SET", "other", "v");
        redis.flush();
        for (int i = 0; i < 2501; i++) {
            assertThat(redis.read()).isEqualTo("OK");
        }

        assertThat(redis.keys("ns:*")).hasSize(2500);
        redis.deletePattern("ns:*");

        assertThat(redis.keys("*")).containsExactly("other");
    }

    @Test
    void infoFieldsAreRead() {
        assertThat(Long.parseLong(redis.info("memory", "used_memory"))).isPositive();
        assertThatThrownBy(() -> redis.info("memory", "no_such_field")).hasMessage("INFO memory has no no_such_field");
    }

    @Test
    void asMapNamesAFlatReplysFields() {
        redis.call("XADD", "s", "1-1", "a", "b");

        assertThat(RawRedis.asMap(redis.call("XINFO", "STREAM", "s")))
                .containsEntry("length", 1L)
                .hasEntrySatisfying("last-generated-id", id -> assertThat(RawRedis.text(id)).isEqualTo("1-1"));
    }
}
