package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.internal.keys.Partitioner;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.RMap;
import io.tally.testkit.RawRedis;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write the keys the read routes read. A counter value, a series bucket, a HyperLogLog or a
 * checkpoint stored in a form Tally cannot read (not a canonical 64-bit integer as Redis's own HINCRBY reads one,
 * a key of another type) is a 502 problem naming the counter and the value or key at fault: never a 500, never
 * a 400 that blames the request, never a number other than the one stored, never a wait that does not end. A
 * listing lists such a counter apart and goes on, so that it hides no other counter.
 */
class CounterReadForeignStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void aCounterValueThatIsNotACanonicalInteger_is502NamingTheCounterAndTheValue() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        String[] stored = {"abc", "007", "-0", "+5", " 7", "7 ", "9223372036854775808", "-9223372036854775809", "1e3",
                "", "\u0663", "1.0"};
        for (int i = 0; i < stored.length; i++) {
            String name = "foreign-value-" + i;
            counters(name).put(name, stored[i]);

            HttpResponse<String> r = api.get("/v1/counters/" + name);

            soft.assertThat(r.statusCode()).as("'" + stored[i] + "': " + r.body()).isEqualTo(502);
            if (r.statusCode() == 502) {
                JsonNode problem = assertUnreadable(r, name);
                soft.assertThat(problem.get("detail").asText()).as(stored[i]).contains("'" + stored[i] + "'");
            }
        }
        soft.assertAll();
    }

    @Test
    void theExtremeCanonicalValues_readExactly() throws Exception {
        for (String v : new String[] {"-9223372036854775808", "9223372036854775807", "9007199254740993", "0", "-1"}) {
            counters("exact").put("exact", v);

            HttpResponse<String> r = api.get("/v1/counters/exact");

            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"value\":" + v + ",");
        }
    }

    @Test
    void aListingThatMeetsValuesNotNumbers_goesOn_listingThemApart_andTheCursorWalksEveryCounter() throws Exception {
        Map<String, String> readable = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            readable.put("listed-" + i, Long.toString(9_007_199_254_740_993L + i));
        }
        readable.put("listed-min", "-9223372036854775808");
        String[] foreign = {"garbage", "007", "-0", "+5", "9223372036854775808", "\u001b]0;x\u0007"};
        Map<String, String> all = new TreeMap<>(readable);
        for (int i = 0; i < foreign.length; i++) {
            all.put("listed-bad-" + i, foreign[i]);
        }
        all.forEach((name, value) -> counters(name).put(name, value));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger routes = (Logger) LoggerFactory.getLogger(CounterRoutes.class);
        routes.addAppender(logs);

        Map<String, String> values = new TreeMap<>();
        Map<String, JsonNode> unreadable = new TreeMap<>();
        int pages = 0;
        int pagesWithUnreadable = 0;
        String cursor = "";
        try {
            do {
                HttpResponse<String> r = api.get("/v1/counters?prefix=listed-&limit=3&cursor=" + cursor);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                JsonNode page = JSON.readTree(r.body());
                for (JsonNode c : page.get("counters")) {
                    assertThat(c.get("value").isIntegralNumber()).as(c.toString()).isTrue();
                    // the text of the number, so that a value past 2^53 is compared exactly
                    values.put(c.get("name").asText(), c.get("value").bigIntegerValue().toString());
                }
                if (page.has("unreadable")) {
                    assertThat(page.get("unreadable").size()).as("present only when not empty").isPositive();
                    pagesWithUnreadable++;
                    page.get("unreadable").forEach(u -> unreadable.put(u.get("name").asText(), u));
                }
                cursor = page.has("cursor") ? page.get("cursor").asText() : null;
                pages++;
            } while (cursor != null && pages < 100);
        } finally {
            routes.detachAppender(logs);
        }

        assertThat(pages).isGreaterThan(2).isLessThan(100);
        assertThat(values).isEqualTo(readable);
        assertThat(unreadable.keySet()).hasSize(foreign.length);
        for (int i = 0; i < foreign.length; i++) {
            String name = "listed-bad-" + i;
            JsonNode u = unreadable.get(name);
            assertThat(u).as(name).isNotNull();
            assertThat(u.get("key").asText()).isEqualTo(api.keys().counters(partitionOf(name)));
            JsonNode alone = assertUnreadable(api.get("/v1/counters/" + name), name);
            assertThat(u.get("detail").asText()).as("the detail a read of it alone answers")
                    .isEqualTo(alone.get("detail").asText());
        }
        assertThat(unreadable.get("listed-bad-5").get("detail").asText()).doesNotContain("\u001b").contains("\\u001b");
        List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(pagesWithUnreadable).isGreaterThan(1);
        assertThat(warnings).as("one WARN line for the pages that met any, rate-limited to one in 10 s").hasSize(1)
                .allSatisfy(w -> assertThat(w).contains("counter 'listed-bad-").doesNotContain("\u001b"));
    }

    @Test
    void aSeriesBucketThatIsNotANumber_is502NamingTheCounterAndTheValue() throws Exception {
        long start = (System.currentTimeMillis() - 120_000) / 60_000 * 60_000;
        int p = partitionOf("series-garbage");
        api.redis().<String, String>getMap(api.keys().seriesBucket(p, "1m", start), StringCodec.INSTANCE)
                .put("series-garbage", "NaN");

        HttpResponse<String> r = api.get("/v1/counters/series-garbage/series?window=1m&from=" + start
                + "&to=" + (start + 60_000));

        JsonNode problem = assertUnreadable(r, "series-garbage");
        assertThat(problem.get("detail").asText()).contains("'NaN'");
    }

    @Test
    void aHyperLogLogKeyHoldingAPlainString_is502() throws Exception {
        counters("hll-string").put("hll-string", "5");
        api.redis().getBucket(api.keys().hll(partitionOf("hll-string"), "hll-string"), StringCodec.INSTANCE)
                .set("not a hyperloglog");

        assertUnreadable(api.get("/v1/counters/hll-string"), "hll-string");
    }

    @Test
    void aUnionMeetingAHyperLogLogOfTheWrongType_is502NamingThatCounter() throws Exception {
        String good = "union-good";
        String bad = "union-bad";
        String other = bad;
        for (int i = 0; partitionOf(other) == partitionOf(good); i++) {
            other = "union-bad-" + i; // a union across partitions
        }
        api.post("/v1/counters/" + good + "/unique", "{\"member\":\"alice\"}");
        api.redis().getBucket(api.keys().hll(partitionOf(other), other), StringCodec.INSTANCE).set("not a hyperloglog");
        api.redis().getMap(api.keys().hll(partitionOf("union-hash"), "union-hash"), StringCodec.INSTANCE).put("a", "b");

        assertUnreadable(api.get("/v1/unique?counters=" + good + "," + other), other);
        assertUnreadable(api.get("/v1/unique?counters=union-hash"), "union-hash");
        String neighbour = "union-neighbour";
        for (int i = 0; partitionOf(neighbour) != partitionOf("union-hash"); i++) {
            neighbour = "union-neighbour-" + i; // a union on one partition: one PFCOUNT of both
        }
        api.post("/v1/counters/" + neighbour + "/unique", "{\"member\":\"bob\"}");
        assertUnreadable(api.get("/v1/unique?counters=" + neighbour + ",union-hash"), "union-hash");
    }

    @Test
    void aUnionNeverCopiesAForeignValueLargerThanAnyHyperLogLog() throws Exception {
        String huge = "union-huge";
        String other = "union-small";
        for (int i = 0; partitionOf(other) == partitionOf(huge); i++) {
            other = "union-small-" + i; // a union across partitions: HyperLogLogs are copied to one slot
        }
        byte[] value = new byte[8 << 20];
        Arrays.fill(value, (byte) 'x');
        System.arraycopy("HYLL".getBytes(StandardCharsets.US_ASCII), 0, value, 0, 4);
        String key = api.keys().hll(partitionOf(huge), huge);
        api.redis().getBucket(key, ByteArrayCodec.INSTANCE).set(value);
        try (RawRedis raw = new RawRedis(api.testRedis().url())) {
            long sentBefore = Long.parseLong(raw.info("stats", "total_net_output_bytes"));
            long receivedBefore = Long.parseLong(raw.info("stats", "total_net_input_bytes"));

            JsonNode problem = assertUnreadable(api.get("/v1/unique?counters=" + other + "," + huge), huge);

            assertThat(problem.get("key").asText()).isEqualTo(key);
            long sent = Long.parseLong(raw.info("stats", "total_net_output_bytes")) - sentBefore;
            long received = Long.parseLong(raw.info("stats", "total_net_input_bytes")) - receivedBefore;
            assertThat(sent).as("bytes Redis sent while answering").isLessThan(1 << 20);
            assertThat(received).as("bytes Redis received while answering").isLessThan(1 << 20);
        } finally {
            api.redis().getBucket(key).delete();
        }
    }

    @Test
    void aCountersHashOfTheWrongType_is502NamingTheKey() throws Exception {
        String name = "wrong-type";
        String key = api.keys().counters(partitionOf(name));
        api.redis().getMap(key, StringCodec.INSTANCE).delete();
        api.redis().getBucket(key, StringCodec.INSTANCE).set("a string, not a hash");
        try {
            JsonNode problem = assertUnreadable(api.get("/v1/counters/" + name), name);
            assertThat(problem.get("detail").asText()).contains(key);
            assertUnreadable(api.send("DELETE", "/v1/counters/" + name, null), name);
        } finally {
            api.redis().getBucket(key, StringCodec.INSTANCE).delete();
        }
    }

    @Test
    void aReadYourWritesWaitOnACheckpointThatIsNotAStreamId_ends502_atOnce() throws Exception {
        String name = "rw-garbage";
        RMap<String, String> checkpoint = api.redis().getMap(api.keys().checkpoint(partitionOf(name)), StringCodec.INSTANCE);
        checkpoint.put("ops", "not-an-id");
        try {
            CompletableFuture<HttpResponse<String>> r = CompletableFuture.supplyAsync(() -> {
                try {
                    return api.get("/v1/counters/" + name + "?after=1-0&waitMs=1000");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            HttpResponse<String> answer = r.get(10, TimeUnit.SECONDS);
            JsonNode problem = RedisFaultsTest.assertCleanProblem(answer, 502);
            assertThat(problem.get("detail").asText()).contains("'not-an-id'").contains("checkpoint");
        } finally {
            checkpoint.remove("ops");
        }
    }

    /** A 502 problem+json naming the counter, without a Java class, a stack trace or Redis's own text. */
    static JsonNode assertUnreadable(HttpResponse<String> r, String counter) throws Exception {
        JsonNode problem = RedisFaultsTest.assertCleanProblem(r, 502);
        assertThat(r.headers().firstValue("Retry-After")).as("a retry cannot help").isEmpty();
        assertThat(problem.get("title").asText()).isEqualTo("Stored state unreadable");
        assertThat(problem.get("reason").asText()).isEqualTo("unreadable_counter");
        assertThat(problem.get("counter").asText()).isEqualTo(counter);
        assertThat(problem.get("detail").asText()).contains("counter '" + counter + "'")
                .doesNotContain("For input string").doesNotContain("WRONGTYPE");
        return problem;
    }

    private static int partitionOf(String name) {
        return new Partitioner(4).partitionOf(name);
    }

    private static RMap<String, String> counters(String name) {
        return api.redis().getMap(api.keys().counters(partitionOf(name)), StringCodec.INSTANCE);
    }
}
