package io.tally.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.app.cli.TallyCliTest.Run;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.keys.Partitioner;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.Time;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the CLI reaches that the HTTP API reaches too: windows and unique members on sends, relative
 * trigger times, firings and dead letters as tables or JSON lines, and filters that refuse values no
 * entry can have. In-process, against a real Redis with a processor applying.
 */
@ExtendWith(RealRedisExtension.class)
class CliReachTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR = 3_600_000L;

    private static String url;
    private static String namespace;
    private static Processor processor;
    private static RedissonClient redis;
    private static Keys keys;

    @BeforeAll
    static void start(TestRedis testRedis) {
        TallyConfig config = testRedis.config(4).set(TallyConfig.PROCESSOR_ID, "cli-reach").build();
        url = testRedis.url();
        namespace = config.namespace();
        redis = testRedis.client();
        keys = Namespace.keys(redis, namespace);
        processor = Processor.start(config, ProcessorListener.NOOP);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.ownedPartitions().size() == 4);
    }

    @AfterAll
    static void stop() {
        processor.close();
        redis.shutdown();
    }

    @Test
    void incrWithWindows_countsInTheSeries_andAnUnconfiguredWindowExits2BeforeSending() {
        long now = System.currentTimeMillis();
        Instant hour = Instant.ofEpochMilli(now - now % HOUR - 2 * HOUR);
        Run incr = tally("incr", "reach.pv", "7", "--windows", "1m,1h", "--ts", hour.plusSeconds(1800).toString(), "--wait");
        assertThat(incr.code()).as(incr.err()).isZero();
        assertThat(incr.out()).contains("reach.pv = 7");
        Run decr = tally("decr", "reach.pv", "2", "--windows", "1h", "--ts", Long.toString(hour.toEpochMilli() + 2_400_000),
                "--wait");
        assertThat(decr.out()).contains("reach.pv = 5");
        Run series = tally("series", "reach.pv", "--window", "1h", "--from", hour.toString(), "--to",
                hour.plusSeconds(3600).toString());
        assertThat(series.out()).contains(hour + "      5");

        StreamMessageId last = lastId("reach.pv");
        Run refused = tally("incr", "reach.pv", "--windows", "5m");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("tally incr: window '5m' is not configured; configured windows: 1m, 1h, 1d "
                + "(series-windows)" + System.lineSeparator());
        assertThat(lastId("reach.pv")).as("nothing sent").isEqualTo(last);
        assertThat(tally("incr", "reach.pv", "--windows", "1x").err()).contains("'--windows'").contains("1x");
        assertThat(tally("set", "reach.pv", "3", "--windows", "1m").code()).as("set takes no windows").isEqualTo(2);
        assertThat(tally("incr", "reach.pv", "--ts", "yesterday").err()).contains("--ts");
    }

    @Test
    void uniqueAdd_countsMembersOnce_andGetShowsTheEstimate() {
        assertThat(tally("unique-add", "reach.visitors", "alice").code()).isZero();
        assertThat(tally("unique-add", "reach.visitors", "bob", "--windows", "1d").code()).isZero();
        Run again = tally("unique-add", "reach.visitors", "alice", "--wait");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).startsWith("unique reach.visitors: partition ").contains("reach.visitors unique = 2");
        assertThat(tally("get", "reach.visitors").out()).isEqualTo("0" + System.lineSeparator() + "unique 2"
                + System.lineSeparator());
        assertThat(tally("unique", "reach.visitors").out().strip()).isEqualTo("2");
    }

    @Test
    void triggerAddIn_isDueThatLongAfterTheCommandOnRedisTime_andFires() throws Exception {
        long redisNow = redisTimeMs();
        Run add = tally("trigger", "add", "--in", "2s", "--param", "who=reach");
        assertThat(add.code()).as(add.err()).isZero();
        JsonNode trigger = JSON.readTree(add.out());
        assertThat(trigger.get("kind").asText()).as("--in implies a time trigger").isEqualTo("time");
        assertThat(trigger.get("at").asLong()).isBetween(redisNow + 2000, redisTimeMs() + 2000);
        String id = trigger.get("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> tally("firings").out().contains(id));
        String table = tally("firings").out();
        assertThat(table.lines().findFirst()).hasValueSatisfying(h ->
                assertThat(h).matches("FIRED-AT +PARTITION +TRIGGER +KIND +CAUSE +PARAMS +OTHER"));
        assertThat(table.lines().filter(l -> l.contains(id))).singleElement().satisfies(l ->
                assertThat(l).contains(" time ").contains("who=reach").contains("missed=0"));

        Run json = tally("firings", "--json", "--limit", "1000");
        JsonNode firing = null;
        for (String line : json.out().lines().toList()) {
            JsonNode n = JSON.readTree(line);
            if (n.at("/fields/trigger").asText().equals(id)) {
                firing = n;
            }
        }
        assertThat(firing).as(json.out()).isNotNull();
        assertThat(names(firing)).containsExactly("partition", "id", "fields");
        assertThat(names(firing.get("fields"))).isSorted().contains("cause", "fired_at", "firing_id", "kind", "p.who");
    }

    @Test
    void triggerAddAt_isJudgedAgainstTheCommandsStart_notTheMomentTheClientAsks() {
        long now = System.currentTimeMillis();
        try {
            // As if the JVM had taken 5 s to start: 3 s ahead of the typed command is 2 s in the past by now.
            CommandClock.startedAt(now - 5000);
            Run add = tally("trigger", "add", "--at", Long.toString(now - 2000), "--param", "late=yes");
            assertThat(add.code()).as(add.err()).isZero();
            Run tooLate = tally("trigger", "add", "--at", Long.toString(now - 6000));
            assertThat(tooLate.code()).isEqualTo(2);
            assertThat(tooLate.err()).contains("field 'at'").contains("in the past");
        } finally {
            CommandClock.startedAt(-1);
        }
        assertThat(tally("trigger", "add", "--in", "5", "--at", "2030-01-01").err()).contains("either --at or --in");
        assertThat(tally("trigger", "add", "--in", "soon").err()).contains("field 'in'").contains("10s");
        Run every = tally("trigger", "add", "--at", "2099-01-01", "--every", "1m");
        assertThat(every.out()).contains("\"every\":60000").contains("\"mode\":\"every\"");
        Run ambiguous = tally("trigger", "add", "--event-type", "x", "--counter", "y");
        assertThat(ambiguous.code()).isEqualTo(2);
        assertThat(ambiguous.err()).contains("field 'kind'");
        assertThat(tally("trigger", "add", "--counter", "reach.t", "--op", ">=", "--value", "3").out())
                .contains("\"kind\":\"threshold\"");
    }

    @Test
    void dlqList_isATableWithAHeader_orJsonLinesInAFixedOrder_andSaysWhenThereAreNone() throws Exception {
        String ns = "reach-empty-" + System.nanoTime();
        assertThat(run("init", "--redis-url", url, "--namespace", ns, "--partitions", "2").code()).isZero();
        assertThat(run("dlq", "list", "--redis-url", url, "--namespace", ns).out()).isEqualTo("no dead letters"
                + System.lineSeparator());
        assertThat(run("dlq", "list", "--reason", "unknown_op", "--redis-url", url, "--namespace", ns).out())
                .isEqualTo("no dead letters match the filters" + System.lineSeparator());
        assertThat(run("dlq", "list", "--json", "--redis-url", url, "--namespace", ns).out()).isEmpty();
        assertThat(run("firings", "--redis-url", url, "--namespace", ns).out()).isEqualTo("no firings"
                + System.lineSeparator());
        assertThat(run("counters", "--redis-url", url, "--namespace", ns).out()).isEqualTo("no counters"
                + System.lineSeparator());
        Run triggers = run("trigger", "list", "--redis-url", url, "--namespace", ns);
        assertThat(triggers.out()).isEmpty();
        assertThat(triggers.err()).isEqualTo("no triggers" + System.lineSeparator());

        int p = new Partitioner(4).partitionOf("reach.dlq");
        redis.<String, String>getStream(keys.ops(p), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(Map.of("op", "explode", "counter", "reach.dlq")));
        await().atMost(Duration.ofSeconds(20)).until(() -> tally("dlq", "list", "--json").out().contains("explode"));
        List<String> table = tally("dlq", "list", "--reason", "unknown_op").out().lines().toList();
        assertThat(table.get(0)).matches("PARTITION +ID +REASON +SOURCE +SOURCE-ID +ORIGINAL +ERROR");
        String row = table.stream().filter(l -> l.contains("explode")).findFirst().orElseThrow();
        assertThat(row).startsWith(p + " ").contains(" unknown_op ").contains("{counter=reach.dlq, op=explode}");
        assertThat(row.indexOf("unknown_op")).as("aligned under its header").isEqualTo(table.get(0).indexOf("REASON"));
        assertThat(table.get(table.size() - 1)).matches("\\d+ dead letter\\(s\\)");

        JsonNode letter = JSON.readTree(tally("dlq", "list", "--json", "--reason", "unknown_op").out().lines()
                .filter(l -> l.contains("explode")).findFirst().orElseThrow());
        assertThat(names(letter)).containsExactly("partition", "id", "reason", "source", "sourceId", "original", "error");
        assertThat(letter.get("partition").asInt()).isEqualTo(p);
        assertThat(names(letter.get("original"))).containsExactly("counter", "op");
        tally("dlq", "purge", "--reason", "unknown_op");
    }

    @Test
    void filtersRefuseValuesNoEntryCanHave_exit2NamingTheValidOnes() {
        Run reason = tally("dlq", "list", "--reason", "nonsense");
        assertThat(reason.code()).isEqualTo(2);
        assertThat(reason.err()).isEqualTo("tally dlq list: Invalid value 'nonsense' for --reason: must be one of "
                + String.join(", ", DeadLetterReasons.ALL) + System.lineSeparator());
        assertThat(tally("dlq", "purge", "--reason", "typo").code()).isEqualTo(2);
        Run source = tally("dlq", "replay", "--source", "opz");
        assertThat(source.code()).isEqualTo(2);
        assertThat(source.err()).contains("must be ops or events");
        assertThat(tally("dlq", "list", "--limit", "0").code()).isEqualTo(2);
        assertThat(tally("firings", "--limit", "0").code()).isEqualTo(2);
        Run kind = tally("trigger", "list", "--kind", "sometimes");
        assertThat(kind.code()).isEqualTo(2);
        assertThat(kind.err()).contains("expected event, threshold or time");
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static StreamMessageId lastId(String counter) {
        return redis.getStream(keys.ops(new Partitioner(4).partitionOf(counter)), StringCodec.INSTANCE).getInfo()
                .getLastGeneratedId();
    }

    private static long redisTimeMs() {
        Time time = redis.getRedisNodes(RedisNodes.SINGLE).getInstance().time();
        return time.getSeconds() * 1000L + time.getMicroseconds() / 1000;
    }

    private static Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", namespace));
        return run(all.toArray(String[]::new));
    }

    private static Run run(String... args) {
        return TallyCliTest.run(args);
    }
}
