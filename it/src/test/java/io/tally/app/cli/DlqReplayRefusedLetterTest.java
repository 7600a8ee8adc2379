package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally dlq replay} over dead letters of which some cannot be replayed (marked applied by the
 * stream-id repair, written by another program without a source, or with a raw that is no array): the
 * others are replayed all the same, every replayed one is reported, every refused one is named, and the
 * command exits 1.
 */
@ExtendWith(RealRedisExtension.class)
class DlqReplayRefusedLetterTest {
    private RedissonClient redis;
    private String url;
    private String namespace;
    private Keys keys;

    @BeforeEach
    void open(TestRedis testRedis) {
        redis = testRedis.client();
        url = testRedis.url();
        namespace = TestRedis.uniqueNamespace();
        assertThat(TallyCliTest.run("init", "--redis-url", url, "--namespace", namespace, "--partitions", "1").code())
                .isZero();
        keys = Namespace.keys(redis, namespace);
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    @Test
    void aRefusedLetter_doesNotStopTheOthers_andEveryReplayIsReported() {
        letter("unknown_op", "ops", Map.of("applied", "1"), Map.of("op", "bogus", "counter", "first"));
        letter("unknown_op", "ops", Map.of(), Map.of("op", "bogus", "counter", "second"));
        letter("unknown_op", null, Map.of(), Map.of("op", "bogus", "counter", "nosource"));
        letter("unknown_op", "ops", Map.of("truncated", "2", "raw", "not an array"), Map.of("op", "bogus"));
        letter("unknown_op", "ops", Map.of(), Map.of("op", "bogus", "counter", "third"));

        TallyCliTest.Run replay = TallyCliTest.run("dlq", "replay", "--redis-url", url, "--namespace", namespace);

        assertThat(counters(ops())).containsExactly("second", "third");
        assertThat(replay.code()).as(replay.err()).isEqualTo(Cli.FAILURE);
        assertThat(replay.out()).contains("replayed 2 dead letter(s)");
        assertThat(replay.out().lines().filter(l -> l.startsWith("p0 ") && l.contains(" -> ops "))).hasSize(2);
        assertThat(replay.err()).contains("was applied before").contains("has source ''")
                .contains("'raw' that is no list").contains("3 dead letter(s) refused and kept");
        assertThat(replay.err()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("channel:")
                .doesNotContain("EVALSHA");
        assertThat(redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE).size()).isEqualTo(3);

        // run again: the refused ones are refused again, nothing is replayed twice
        TallyCliTest.Run again = TallyCliTest.run("dlq", "replay", "--redis-url", url, "--namespace", namespace);
        assertThat(again.out()).contains("replayed 0 dead letter(s)");
        assertThat(counters(ops())).containsExactly("second", "third");
    }

    @Test
    void aFailureThatStopsTheReplay_stillReportsTheLettersReplayedBeforeIt() {
        letter("unknown_op", "ops", Map.of(), Map.of("op", "bogus", "counter", "before"));
        letter("missing_field", "events", Map.of(), Map.of("p.k", "v"));
        letter("unknown_op", "ops", Map.of(), Map.of("op", "bogus", "counter", "after"));
        // the events stream cannot take an entry: that stops the run (it is no fault of one letter)
        redis.getBucket(keys.events(0), StringCodec.INSTANCE).set("not a stream");

        TallyCliTest.Run replay = TallyCliTest.run("dlq", "replay", "--redis-url", url, "--namespace", namespace);

        assertThat(replay.code()).isEqualTo(Cli.FAILURE);
        assertThat(counters(ops())).containsExactly("before");
        assertThat(replay.out()).containsPattern("(?m)^p0 \\S+ -> ops \\S+$")
                .contains("replayed 1 dead letter(s) before the failure");
        assertThat(replay.err()).contains("WRONGTYPE").doesNotContain("\tat ");
        assertThat(redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE).size()).isEqualTo(2);
    }

    private RStream<String, String> ops() {
        return redis.getStream(keys.ops(0), StringCodec.INSTANCE);
    }

    private static java.util.List<String> counters(RStream<String, String> stream) {
        return stream.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().stream()
                .map(f -> f.get("counter")).toList();
    }

    private void letter(String reason, String source, Map<String, String> extra, Map<String, String> original) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("reason", reason);
        fields.put("error", "written by a test");
        if (source != null) {
            fields.put("source", source);
        }
        fields.put("source_id", "1-0");
        fields.putAll(extra);
        original.forEach((k, v) -> fields.put("f." + k, v));
        redis.<String, String>getStream(keys.dlq(0), StringCodec.INSTANCE).add(StreamAddArgs.entries(fields));
    }
}
