package io.tally.app.cli;

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
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.client.codec.StringCodec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs {@code tally} commands in-process against a real Redis with a processor applying entries. */
@ExtendWith(RealRedisExtension.class)
class TallyCliTest {
    private static String url;
    private static String namespace;
    private static Processor processor;
    private static RedissonClient redis;

    @BeforeAll
    static void start(TestRedis testRedis) {
        TallyConfig config = testRedis.config(4).set(TallyConfig.PROCESSOR_ID, "cli-test").build();
        url = testRedis.url();
        namespace = config.namespace();
        processor = Processor.start(config, ProcessorListener.NOOP);
        redis = testRedis.client();
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.ownedPartitions().size() == 4);
    }

    @AfterAll
    static void stop() {
        processor.close();
        redis.shutdown();
    }

    @Test
    void incrWait_thenGet_printsTheAppliedValue() {
        Run incr = tally("incr", "cli.visits", "5", "--wait");
        assertThat(incr.code).as(incr.err).isZero();
        assertThat(incr.out).contains("incr cli.visits: partition").contains("cli.visits = 5");
        assertThat(tally("decr", "cli.visits", "--wait").out).contains("cli.visits = 4");
        assertThat(tally("set", "cli.visits", "40", "--wait").out).contains("cli.visits = 40");
        Run get = tally("get", "cli.visits");
        assertThat(get.code).isZero();
        assertThat(get.out.strip()).isEqualTo("40");
        assertThat(tally("reset", "cli.visits", "--wait").out).contains("cli.visits = 0");
    }

    @Test
    void get_ofAMissingCounter_printsZeroAndExits3() {
        tally("incr", "cli.exists", "--wait");
        Run get = tally("get", "cli.never");
        assertThat(get.code).isEqualTo(3);
        assertThat(get.out.strip()).isEqualTo("0");
        assertThat(get.err).contains("does not exist");
    }

    @Test
    void badInput_exits2WithAMessageNamingTheProblem() {
        Run notNumber = tally("incr", "c", "abc");
        assertThat(notNumber.code).isEqualTo(2);
        assertThat(notNumber.err).contains("'N'");
        Run wrongPartitions = run("status", "--redis-url", url, "--namespace", namespace, "--partitions", "7");
        assertThat(wrongPartitions.code).isEqualTo(2);
        assertThat(wrongPartitions.err).contains("has 4 partitions");
        Run unknown = run("frobnicate");
        assertThat(unknown.code).isEqualTo(2);
        assertThat(run("--help").out).contains("incr").contains("status").contains("dlq").contains("demo");
    }

    @Test
    void emit_appendsAnEvent_andUnknownNamespaceIsReported() {
        Run emit = tally("emit", "click", "button=buy", "page=home", "--id", "ev-1");
        assertThat(emit.code).as(emit.err).isZero();
        assertThat(emit.out).contains("emit click: partition");
        Run bad = tally("emit", "click", "novalue");
        assertThat(bad.code).isEqualTo(2);
        Run missing = run("get", "x", "--redis-url", url, "--namespace", "nosuch" + System.nanoTime());
        assertThat(missing.code).isEqualTo(1);
        assertThat(missing.err).contains("does not exist");
    }

    @Test
    void status_showsEveryPartitionItsOwnerAndTheProcessor() {
        tally("incr", "cli.status", "--wait");
        Run status = tally("status");
        assertThat(status.code).as(status.err).isZero();
        assertThat(status.out).contains("KEYS partition tags spread-v1 ({p<i>-<k>}), operation ids in dedupe buckets (buckets-v1)")
                .contains("NAMESPACE " + namespace).contains("partitions 4").contains("unowned 0")
                .contains("PROCESSORS 1").contains(processor.instanceId()).contains("LAST-APPLIED");
        assertThat(status.out.lines().filter(l -> l.matches("^[0-3] +ops .*"))).hasSize(4);
    }

    @Test
    void dlq_listReplayPurge_onARealDeadLetter() {
        Keys keys = Namespace.keys(redis, namespace);
        int p = new Partitioner(4).partitionOf("dlq.counter");
        redis.<String, String>getStream(keys.ops(p), StringCodec.INSTANCE)
                .add(StreamAddArgs.entries(Map.of("op", "bogus", "counter", "dlq.counter")));
        await().atMost(Duration.ofSeconds(20)).until(() -> tally("dlq", "list", "--reason", "unknown_op").out
                .contains("1 dead letter(s)"));
        Run list = tally("dlq", "list");
        assertThat(list.out).contains("unknown_op").contains("op=bogus");
        Run refuse = tally("dlq", "purge");
        assertThat(refuse.code).isEqualTo(2);
        assertThat(refuse.err).contains("--all");
        Run replay = tally("dlq", "replay", "--reason", "unknown_op", "--partition", Integer.toString(p));
        assertThat(replay.out).contains("replayed 1 dead letter(s)");
        // Still unknown to this processor: it comes back as a dead letter, once.
        await().atMost(Duration.ofSeconds(20)).until(() -> tally("dlq", "list").out.contains("1 dead letter(s)"));
        Run purge = tally("dlq", "purge", "--source", "ops");
        assertThat(purge.out).contains("purged 1 dead letter(s)");
        assertThat(tally("dlq", "list").out).isEqualTo("no dead letters" + System.lineSeparator());
        assertThat(tally("dlq", "list", "--partition", "9").code).isEqualTo(2);
    }

    @Test
    void loadgen_writesExpectedValues_thatVerifyConfirms(@TempDir Path dir) throws Exception {
        Path expect = dir.resolve("expected.txt");
        Run load = tally("loadgen", "--rate", "500", "--duration", "2", "--counters", "5", "--events", "10",
                "--prefix", "lg-", "--expect-file", expect.toString());
        assertThat(load.code).as(load.out + load.err).isZero();
        assertThat(load.out).contains("loadgen: sent").contains("errors 0").contains("sent ");
        List<String> lines = Files.readAllLines(expect);
        assertThat(lines).hasSize(5).allMatch(l -> l.matches("lg-[0-4] \\d+"));
        Run verify = tally("verify", "--expect-file", expect.toString(), "--timeout", "30");
        assertThat(verify.code).as(verify.out).isZero();
        assertThat(verify.out).contains("all 5 counters match");
        Files.writeString(expect, "lg-0 -1\n");
        assertThat(tally("verify", "--expect-file", expect.toString(), "--timeout", "1").code).isEqualTo(1);
    }

    @Test
    void counters_listsAndDeleteRemoves() {
        tally("incr", "cli.list.a", "3", "--wait");
        tally("incr", "cli.list.b", "4", "--wait");
        assertThat(tally("counters", "--prefix", "cli.list.").out).containsPattern("cli.list.a\\s+3")
                .containsPattern("cli.list.b\\s+4");
        assertThat(tally("delete", "cli.list.a").code).isZero();
        assertThat(tally("get", "cli.list.a").code).isEqualTo(3);
    }

    @Test
    void triggerAdd_firesOnAMatchingEvent_andGetListCancelShowItsState() {
        Run add = tally("trigger", "add", "--kind", "event", "--event-type", "cli.click", "--match", "button=buy",
                "--param", "campaign=spring");
        assertThat(add.code).as(add.err).isZero();
        String id = add.out.replaceAll("(?s).*\"id\":\"(t\\d+-[0-9A-Z]{26})\".*", "$1");
        assertThat(id).matches("t\\d+-[0-9A-Z]{26}");
        assertThat(add.out).contains("\"status\":\"active\"").contains("\"match\":{\"button\":\"buy\"}");

        assertThat(tally("emit", "cli.click", "button=buy").code).isZero();
        await().atMost(Duration.ofSeconds(20)).until(() -> tally("trigger", "get", id).out.contains("\"status\":\"fired\""));
        assertThat(tally("firings").out).contains(id).contains("campaign=spring");
        assertThat(tally("trigger", "list", "--status", "fired", "--kind", "event").out).contains(id);
        assertThat(tally("trigger", "list", "--status", "active").out).doesNotContain(id);

        Run threshold = tally("trigger", "add", "--json",
                "{\"kind\":\"threshold\",\"counter\":\"cli.t\",\"op\":\">=\",\"value\":10}");
        assertThat(threshold.code).as(threshold.err).isZero();
        String tid = threshold.out.replaceAll("(?s).*\"id\":\"(t\\d+-[0-9A-Z]{26})\".*", "$1");
        Run cancel = tally("trigger", "cancel", tid);
        assertThat(cancel.code).isZero();
        assertThat(cancel.out).contains("\"status\":\"canceled\"");
        Run time = tally("trigger", "add", "--kind", "time", "--at", "2099-01-01T00:00:00Z", "--every", "60000");
        assertThat(time.code).as(time.err).isZero();
        assertThat(time.out).contains("\"at\":" + java.time.Instant.parse("2099-01-01T00:00:00Z").toEpochMilli())
                .contains("\"mode\":\"every\"");
    }

    @Test
    void triggerErrors_invalidDefinitionExits2NamingTheField_unknownIdExits3() {
        Run noKind = tally("trigger", "add", "--param", "x=y");
        assertThat(noKind.code).isEqualTo(2);
        assertThat(noKind.err).contains("field 'kind'");
        Run badEvery = tally("trigger", "add", "--kind", "time", "--at", "4102444800000", "--every", "5");
        assertThat(badEvery.code).isEqualTo(2);
        assertThat(badEvery.err).contains("field 'every'");
        Run badAt = tally("trigger", "add", "--kind", "time", "--at", "tomorrow");
        assertThat(badAt.code).isEqualTo(2);
        assertThat(badAt.err).contains("field 'at'");
        Run badMatch = tally("trigger", "add", "--kind", "event", "--event-type", "x", "--match", "novalue");
        assertThat(badMatch.code).isEqualTo(2);
        assertThat(badMatch.err).contains("field 'match'");
        Run badJson = tally("trigger", "add", "--json", "{\"kind\":\"event\",\"eventType\":\"x\",\"status\":\"fired\"}");
        assertThat(badJson.code).isEqualTo(2);
        assertThat(badJson.err).contains("field 'status'");
        Run both = tally("trigger", "add", "--json", "{}", "--kind", "event");
        assertThat(both.code).isEqualTo(2);
        Run badId = tally("trigger", "get", "nope");
        assertThat(badId.code).isEqualTo(2);
        assertThat(badId.err).contains("field 'id'");
        Run badStatus = tally("trigger", "list", "--status", "done");
        assertThat(badStatus.code).isEqualTo(2);
        assertThat(badStatus.err).contains("field 'status'");
        assertThat(tally("trigger", "get", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV").code).isEqualTo(3);
        Run cancel = tally("trigger", "cancel", "t0-01ARZ3NDEKTSV4RRFFQ69G5FAV");
        assertThat(cancel.code).isEqualTo(3);
        assertThat(cancel.err).contains("does not exist");
    }

    private static Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", namespace));
        return run(all.toArray(String[]::new));
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    record Run(int code, String out, String err) {
    }
}
