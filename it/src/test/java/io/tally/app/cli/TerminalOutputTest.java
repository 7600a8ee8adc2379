package io.tally.app.cli;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What another writer of Redis put into dead letters, firings and counter names reaches the terminal
 * escaped and cut: no control byte gets through, a 1 MB field prints as 200 characters, and
 * {@code --full} prints it whole, still escaped.
 */
@ExtendWith(RealRedisExtension.class)
class TerminalOutputTest {
    /** Retitles an xterm window, then C1 CSI (a one-byte ESC [), DEL, and a bare CR that would hide the line. */
    private static final String HOSTILE = "a\u001b]0;PWNED\u0007b\u009b31mc\u007fd\re";
    private static final String HOSTILE_SHOWN = "a\\x1b]0;PWNED\\x07b\\u009b31mc\\x7fd\\re";
    private static final String HUGE = "x".repeat(1_000_000);

    private static String url;
    private static String namespace;
    private static RedissonClient redis;

    @BeforeAll
    static void writeHostileData(TestRedis testRedis) {
        url = testRedis.url();
        namespace = TestRedis.uniqueNamespace();
        redis = testRedis.client();
        Keys keys = new Keys(namespace, PartitionTags.legacy()); // a meta without partition-tags: tags {p<i>}
        redis.getMap(keys.meta(), StringCodec.INSTANCE).put("partitions", "2");
        redis.getStream(keys.dlq(1), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "reason", "bad_number", "error", HOSTILE, "source", "ops", "source_id", "1-1",
                "f.op", "incr", "f.counter", HOSTILE, "f.by", HUGE)));
        redis.getStream(keys.firings(0), StringCodec.INSTANCE).add(StreamAddArgs.entries(Map.of(
                "firing_id", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV:1-1", "trigger", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV",
                "kind", "event", "cause", "1-1", "fired_at", "1893456000000", "p.note", HOSTILE, "p.blob", HUGE)));
        redis.getMap(keys.counters(0), StringCodec.INSTANCE).put(HOSTILE, "7");
        // Bytes that are not UTF-8 decode to U+FFFD, which is shown as an escape too.
        redis.getMap(keys.counters(1), ByteArrayCodec.INSTANCE)
                .put(new byte[]{'b', (byte) 0xff, 'c'}, "8".getBytes(StandardCharsets.US_ASCII));
    }

    @AfterAll
    static void stop() {
        redis.shutdown();
    }

    @Test
    void dlqList_escapesControlCharacters_andCutsAOneMegabyteField() {
        TallyCliTest.Run list = tally("dlq", "list");

        assertThat(list.code()).as(list.err()).isZero();
        assertNoControlCharacters(list.out());
        assertThat(list.out()).contains(HOSTILE_SHOWN).contains("counter=" + HOSTILE_SHOWN)
                .contains("by=" + "x".repeat(200) + "…(+999800 bytes)").contains("1 dead letter(s)");
        assertThat(list.out().length()).isLessThan(2_000);
    }

    @Test
    void dlqListFull_printsTheWholeFieldStillEscaped() {
        TallyCliTest.Run list = tally("dlq", "list", "--full");

        assertThat(list.code()).as(list.err()).isZero();
        assertNoControlCharacters(list.out());
        assertThat(list.out()).contains("by=" + HUGE).contains(HOSTILE_SHOWN).doesNotContain("bytes)");
    }

    @Test
    void firings_escapeAndCutEveryField_andFullShowsThemWhole() {
        TallyCliTest.Run firings = tally("firings");
        assertThat(firings.code()).as(firings.err()).isZero();
        assertNoControlCharacters(firings.out());
        assertThat(firings.out()).contains(" note=" + HOSTILE_SHOWN)
                .contains(" blob=" + "x".repeat(200) + "…(+999800 bytes)");
        assertThat(firings.out().length()).isLessThan(2_000);

        TallyCliTest.Run full = tally("firings", "--full");
        assertNoControlCharacters(full.out());
        assertThat(full.out()).contains(" blob=" + HUGE);
    }

    @Test
    void counters_escapeNamesFromRedis_includingBytesThatAreNotUtf8() {
        TallyCliTest.Run counters = tally("counters");

        assertThat(counters.code()).as(counters.err()).isZero();
        assertNoControlCharacters(counters.out());
        assertThat(counters.out()).containsPattern(java.util.regex.Pattern.quote(HOSTILE_SHOWN) + "\\s+7")
                .containsPattern("b\\\\ufffdc\\s+8");
    }

    /** Only the line breaks the command itself prints; no C0 (but LF), DEL, C1, lone surrogate or U+FFFD. */
    private static void assertNoControlCharacters(String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            boolean control = (c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || c == '\ufffd'
                    || Character.isSurrogate(c);
            assertThat(control).as("character U+%04X at %d", (int) c, i).isFalse();
        }
    }

    private static TallyCliTest.Run tally(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[]{"--redis-url", url, "--namespace", namespace}, 0, all, args.length, 4);
        return TallyCliTest.run(all);
    }
}
