package io.tally.processor.badinput;

import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code stream_room_problem} of {@code include/ids.lua}, which scripts ask before their first write
 * whether the XADDs they will make can all succeed: on a real Redis, whose XADD '*' is the judge.
 */
class StreamRoomTest {
    private static final String MAX = "18446744073709551615";
    private static RedisServer server;
    private static RawRedis redis;
    private static String script;

    @BeforeAll
    static void start() throws IOException {
        server = RedisServer.start();
        redis = new RawRedis(server.url());
        try (InputStream in = StreamRoomTest.class.getClassLoader().getResourceAsStream("tally/lua/include/ids.lua")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    + "\nreturn stream_room_problem(KEYS[1], tonumber(ARGV[1])) or ''\n";
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void empty() {
        redis.call("FLUSHALL");
    }

    private String problem(int n) {
        return redis.callText("EVAL", script, "1", "s", String.valueOf(n));
    }

    /** Adds n entries with XADD '*' one by one; how many Redis took. */
    private int xaddStar(int n) {
        for (int i = 0; i < n; i++) {
            if (redis.reply("XADD", "s", "*", "f", "v") instanceof RawRedis.Error) {
                return i;
            }
        }
        return n;
    }

    @Test
    void noKeyOrAnOrdinaryStream_hasRoom() {
        assertThat(problem(1000)).isEmpty();
        redis.call("XADD", "s", "*", "f", "v");
        assertThat(problem(1000)).isEmpty();
    }

    @Test
    void anotherType_isNamed() {
        redis.call("SET", "s", "x");
        assertThat(problem(1)).isEqualTo("s holds a string, not a stream");
    }

    @Test
    void theLargestMillisecond_leavesRoomForWhatItsSequenceLeaves_asRedisCounts() {
        redis.call("XADD", "s", MAX + "-" + "18446744073709551612", "f", "v"); // 3 ids left
        assertThat(problem(3)).isEmpty();
        assertThat(problem(4)).isEqualTo("s has ids for 3 more entries, not 4");
        assertThat(xaddStar(4)).isEqualTo(3);
        assertThat(problem(1)).isEqualTo("s has ids for 0 more entries, not 1");
    }

    @Test
    void aLastIdKeptByXdel_countsThoughItsEntryIsGone() {
        redis.call("XADD", "s", "1-1", "f", "v");
        redis.call("XADD", "s", MAX + "-" + MAX, "f", "v");
        redis.call("XDEL", "s", MAX + "-" + MAX);
        assertThat(problem(1)).isEqualTo("s has ids for 0 more entries, not 1");
        assertThat(xaddStar(1)).isZero();
    }

    @Test
    void aSequenceFarFromTheLargest_orAnEarlierMillisecond_hasRoom() {
        redis.call("XADD", "s", MAX + "-18446744073709000000", "f", "v");
        assertThat(problem(551_615)).isEmpty();
        redis.call("DEL", "s");
        redis.call("XADD", "s", "18446744073709551614-" + MAX, "f", "v");
        assertThat(problem(1000)).isEmpty();
        assertThat(xaddStar(3)).isEqualTo(3);
    }
}
