package io.tally.it.resilience;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.TriggerKind;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.app.cli.TallyMain;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.firings.FiringsConsumer;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisFiringsConsumer;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Every path of Tally that talks to Redis, run in windows of one role each: the producer role (the
 * producer library, every CLI command but the processor's, every HTTP endpoint of the service, a
 * FiringsConsumer) and the processor role ({@code tally init}, a processor applying every op kind and
 * firing every trigger kind, claiming a dead consumer's pending entries, writing a dead letter, running
 * housekeeping, restoring meta and groups after a FLUSHALL, halting on an entry of an unknown version).
 *
 * <p>Within a window only that role's clients talk to Redis, so {@code INFO commandstats} of the window
 * is the role's command set (plus the admin's own marked commands). The admin acts between windows (writes
 * that only a hostile or foreign writer makes, and the checks). Values are checked exactly, so the
 * scenario shows both the commands and that the paths did their work.
 */
final class AclScenario {
    static final String NAMESPACE = "tally";
    static final int PARTITIONS = 4;
    /** Commands the admin sends inside a window (FLUSHALL while a processor runs; RESETSTAT itself). */
    static final Set<String> ADMIN_COMMANDS_IN_WINDOWS = Set.of("flushall", "config|resetstat");
    private static final String TOKEN = "acl-scenario-token-0123456789";
    private static final String WINDOWS = "1s=1s,1m=1h";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    enum Role { PRODUCER, PROCESSOR }

    /** A Redis ACL user and its password. */
    record RedisUser(String name, String password) {
    }

    /** Told when a role's window starts and ends. */
    interface Windows {
        void begin(Role role);

        void end();

        Windows NONE = new Windows() {
            @Override
            public void begin(Role role) {
            }

            @Override
            public void end() {
            }
        };
    }

    private final int port;
    private final RedisUser producerUser;
    private final RedisUser processorUser;
    private final AdminLink admin;
    private final Windows windows;
    private final Path tmp;
    /** The keys {@code tally init} gives a new namespace. */
    private final Keys keys = new Keys(NAMESPACE, PartitionTags.spread(PARTITIONS));
    private final Partitioner partitioner = new Partitioner(PARTITIONS);
    private final Map<String, Long> model = new TreeMap<>();
    /** Firings whose first delivery failed. */
    private final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    private String expectFile;
    private String lastHttpEntry;

    AclScenario(int port, RedisUser producerUser, RedisUser processorUser, AdminLink admin, Windows windows, Path tmp) {
        this.port = port;
        this.producerUser = producerUser;
        this.processorUser = processorUser;
        this.admin = admin;
        this.windows = windows;
        this.tmp = tmp;
    }

    void run() throws Exception {
        window(Role.PROCESSOR, () -> assertThat(cli(processorUser, "init", "--partitions", Integer.toString(PARTITIONS)))
                .contains("created with 4 partitions"));
        Map<String, String> triggerIds = new ConcurrentHashMap<>();
        window(Role.PRODUCER, () -> sendEverything(triggerIds));
        writeWhatOnlyAForeignWriterWrites();
        window(Role.PROCESSOR, this::applyWithHousekeeping);
        assertAppliedAsTheModelSays(triggerIds);
        window(Role.PRODUCER, () -> readAndManageEverything(triggerIds));
        assertThat(appliedCounters()).as("after deletes").isEqualTo(model);
        assertThat(total(keys::dlq)).as("one letter replayed, one purged").isZero();
        assertThat(total(keys::firingsDlq)).as("the time firing, which always failed").isEqualTo(1);
        window(Role.PROCESSOR, this::restoreAfterFlushAll);
        assertThat(admin.hgetall(keys.meta())).containsEntry("partitions", Integer.toString(PARTITIONS))
                .containsEntry(PartitionTags.FIELD, PartitionTags.SPREAD_V1);
        assertThat(admin.call("XINFO", "GROUPS", keys.ops(0)).toString()).contains("tally");
        admin.call("XADD", keys.ops(0), "*", "v", "2", "op", "incr", "counter", "acl.future");
        window(Role.PROCESSOR, this::haltOnAnUnknownVersion);
    }

    // --- producer role -------------------------------------------------------------------------------

    private void sendEverything(Map<String, String> triggerIds) throws Exception {
        // triggers first, so that the processor sees them when it applies what follows
        triggerIds.put("event", id(cli(producerUser, "trigger", "add", "--kind", "event", "--event-type", "acl.click",
                "--match", "button=buy", "--mode", "every", "--param", "team=a")));
        triggerIds.put("threshold", id(cli(producerUser, "trigger", "add", "--kind", "threshold", "--counter", "acl.c1",
                "--op", ">=", "--value", "5")));
        triggerIds.put("time", id(cli(producerUser, "trigger", "add", "--kind", "time",
                "--at", Long.toString(System.currentTimeMillis() + 1000))));
        String canceled = id(cli(producerUser, "trigger", "add", "--kind", "event", "--event-type", "acl.other"));
        assertThat(cli(producerUser, "trigger", "cancel", canceled)).contains("canceled");
        assertThat(cli(producerUser, "trigger", "get", triggerIds.get("event"))).contains("acl.click");
        assertThat(cli(producerUser, "trigger", "list")).contains(triggerIds.get("threshold"));

        TallyConfig config = config(producerUser);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            sends.add(producer.incr("acl.c1", 3));
            sends.add(producer.send(CounterOp.incr("acl.c1", 2).withId("lib-1")));
            sends.add(producer.send(CounterOp.incr("acl.c1", 2).withId("lib-1"))); // a duplicate
            sends.add(producer.emit(Event.of("acl.click", Map.of("button", "buy"))));
            sends.add(producer.emit(Event.of("acl.click", Map.of("button", "no")).withId("ev-1")));
            sends.add(producer.send(CounterOp.unique("acl.u", "m1").withWindows("1s")));
            sends.add(producer.send(CounterOp.unique("acl.u", "m2").withId("u-2")));
            sends.add(producer.send(CounterOp.unique("acl.v", "m1")));
            sends.add(producer.send(CounterOp.unique("acl.v", "m4")));
            sends.add(producer.send(CounterOp.incr("acl.s", 4).withWindows("1s", "1m")));
            sends.add(producer.send(CounterOp.decr("acl.s", 1).withWindows("1m").withId("s-2")));
            producer.flush();
            sends.forEach(CompletableFuture::join);
        }
        add("acl.c1", 5);
        add("acl.s", 3);
        // acks=replicas with no replica: written, outcome unknown (WAIT)
        try (TallyProducer replicas = RedisTallyProducer.create(config.toBuilder().set(TallyConfig.ACKS, Acks.REPLICAS)
                .set(TallyConfig.SEND_TIMEOUT_MS, 500L).build(), ProducerMetrics.NOOP)) {
            CompletableFuture<SendResult> send = replicas.send(CounterOp.incr("acl.w", 1).withId("w-1"));
            replicas.flush();
            assertThatThrownBy(send::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(OutcomeUnknownException.class);
        }
        add("acl.w", 1);

        cli(producerUser, "incr", "acl.c1");
        cli(producerUser, "decr", "acl.c1", "1", "--id", "cli-d");
        cli(producerUser, "set", "acl.set", "7");
        cli(producerUser, "reset", "acl.r");
        cli(producerUser, "emit", "acl.click", "button=buy", "--id", "ev-2");
        add("acl.set", 7);
        add("acl.r", 0);
        String expect = tmp.resolve("expect-" + System.nanoTime()).toString();
        cli(producerUser, "loadgen", "--rate", "200", "--duration", "0.5", "--counters", "3", "--events", "20",
                "--idempotent", "--prefix", "lg.", "--expect-file", expect);
        expectFile = expect;

        try (Service api = new Service(config)) {
            assertThat(api.post("/v1/counters/acl.h/incr", "{\"by\":5}").statusCode()).isEqualTo(202);
            assertThat(api.post("/v1/counters/acl.h/decr", "{\"by\":2,\"id\":\"h-2\"}").statusCode()).isEqualTo(202);
            assertThat(api.post("/v1/counters/acl.hs/set", "{\"value\":9}").statusCode()).isEqualTo(202);
            HttpResponse<String> reset = api.post("/v1/counters/acl.hr/reset", "{}");
            assertThat(reset.statusCode()).isEqualTo(202);
            lastHttpEntry = JSON.readTree(reset.body()).get("entryId").asText();
            assertThat(api.post("/v1/events", "{\"type\":\"acl.click\",\"params\":{\"button\":\"buy\"}}").statusCode())
                    .isEqualTo(202);
            HttpResponse<String> batch = api.post("/v1/batch", String.join("\n",
                    "{\"op\":\"unique\",\"counter\":\"acl.u\",\"member\":\"m3\"}",
                    "{\"op\":\"unique\",\"counter\":\"acl.u\",\"member\":\"m2\"}",
                    "{\"type\":\"acl.click\",\"id\":\"ev-3\",\"params\":{\"button\":\"buy\"}}",
                    "{\"op\":\"incr\",\"counter\":\"acl.h\",\"by\":1,\"windows\":\"1m\"}"));
            assertThat(JSON.readTree(batch.body()).get("accepted").asInt()).as(batch.body()).isEqualTo(4);
            // a time trigger: cancelling it also takes it off the schedule
            HttpResponse<String> trigger = api.post("/v1/triggers", "{\"kind\":\"time\",\"at\":\"2099-01-01T00:00:00Z\"}");
            assertThat(trigger.statusCode()).as(trigger.body()).isEqualTo(201);
            String id = JSON.readTree(trigger.body()).get("id").asText();
            assertThat(api.get("/v1/triggers/" + id).statusCode()).isEqualTo(200);
            assertThat(api.get("/v1/triggers").body()).contains(id);
            assertThat(api.delete("/v1/triggers/" + id).statusCode()).isEqualTo(200);
            assertThat(api.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(api.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(api.get("/metrics").statusCode()).isEqualTo(200);
            assertThat(api.get("/openapi.json").statusCode()).isEqualTo(200);
        }
        add("acl.h", 4);
        add("acl.hs", 9);
        add("acl.hr", 0);
    }

    private void readAndManageEverything(Map<String, String> triggerIds) throws Exception {
        assertThat(cli(producerUser, "get", "acl.c1").strip()).isEqualTo("5");
        assertThat(cli(producerUser, "get", "acl.u")).contains("unique 3");
        assertThat(cli(producerUser, "unique", "acl.u").strip()).isEqualTo("3");
        assertThat(cli(producerUser, "unique", "acl.u", "acl.v").strip()).as("the union").isEqualTo("4");
        assertThat(cli(producerUser, "counters", "--prefix", "acl.")).contains("acl.set").contains("acl.hs");
        assertThat(cli(producerUser, "series", "acl.s", "--window", "1m", "--last", "1h")).contains("3");
        assertThat(cli(producerUser, "status")).contains("PROCESSORS");
        assertThat(cli(producerUser, "firings")).contains(triggerIds.get("event"));
        // the fired threshold trigger is gone (finished-trigger retention 1 s); the event trigger fires on
        assertThat(cli(producerUser, "trigger", "list")).doesNotContain(triggerIds.get("threshold"))
                .contains(triggerIds.get("event"));
        assertThat(cli(producerUser, "verify", "--expect-file", expectFile, "--timeout", "5"))
                .contains("verify: all 3 counters match");
        assertThat(cli(producerUser, "dlq", "list")).contains("2 dead letter(s)");
        assertThat(cli(producerUser, "dlq", "replay", "--source", "ops")).contains("replayed 1 dead letter(s)");
        assertThat(cli(producerUser, "dlq", "purge", "--all")).contains("purged 1 dead letter(s)");
        assertThat(cli(producerUser, "delete", "acl.r")).contains("deleted acl.r");
        model.remove("acl.r");

        TallyConfig config = config(producerUser);
        try (Service api = new Service(config)) {
            JsonNode c1 = JSON.readTree(api.get("/v1/counters/acl.c1").body());
            assertThat(c1.get("value").asLong()).isEqualTo(5);
            assertThat(JSON.readTree(api.get("/v1/counters/acl.u").body()).get("unique").asLong()).isEqualTo(3);
            JsonNode waited = JSON.readTree(api.get("/v1/counters/acl.hr?after=" + lastHttpEntry + "&waitMs=2000").body());
            assertThat(waited.get("applied").asBoolean()).isTrue();
            assertThat(api.get("/v1/counters?prefix=acl.").body()).contains("acl.c1");
            assertThat(api.get("/v1/counters/acl.s/series?window=1m").statusCode()).isEqualTo(200);
            assertThat(api.get("/v1/unique?counters=acl.u").body()).contains("3");
            assertThat(api.get("/v1/unique?counters=acl.u,acl.v").body()).contains("4");
            assertThat(api.get("/v1/firings?limit=10").body()).contains(triggerIds.get("time"));
            assertThat(api.delete("/v1/counters/acl.hr").statusCode()).isEqualTo(204);
            model.remove("acl.hr");
        }

        // every firing once: the threshold's first delivery fails (claimed and redelivered), the time
        // trigger's always fails (dead-lettered after two deliveries)
        Set<String> seen = ConcurrentHashMap.newKeySet();
        RedissonClient redis = RedisClientFactory.create(config);
        try (FiringsConsumer consumer = RedisFiringsConsumer.builder(redis, config, "acl-billing", f -> handle(f, seen))
                .claimIdle(Duration.ofMillis(200)).maxDeliveries(2).pollInterval(Duration.ofMillis(20)).start()) {
            await().atMost(Duration.ofSeconds(15)).until(() -> consumer.handled() == 5 && consumer.deadLettered() == 1);
        } finally {
            redis.shutdown();
        }
        assertThat(seen).hasSize(6);
    }

    private void handle(Firing firing, Set<String> seen) {
        seen.add(firing.firingId());
        if (firing.kind() == TriggerKind.TIME) {
            throw new IllegalStateException("time firings fail in this test");
        }
        if (firing.kind() == TriggerKind.THRESHOLD && failedOnce.add(firing.firingId())) {
            throw new IllegalStateException("the first delivery fails");
        }
    }

    // --- processor role ------------------------------------------------------------------------------

    private void writeWhatOnlyAForeignWriterWrites() {
        // two dead letters, and one entry pending for a consumer that died (claimed by the processor)
        admin.call("XADD", keys.ops(partitioner.partitionOf("acl.x")), "*", "op", "bogus", "counter", "acl.x");
        admin.call("XADD", keys.events(0), "*", "p.k", "no type");
        int p = partitioner.partitionOf("acl.c1");
        Object read = admin.call("XREADGROUP", "GROUP", "tally", "ghost", "COUNT", "1", "STREAMS", keys.ops(p), ">");
        assertThat(read).as("the ghost consumer took an entry").isNotNull();
    }

    private void applyWithHousekeeping() {
        HousekeepingSeen seen = new HousekeepingSeen();
        try (Processor processor = Processor.start(config(processorUser), seen)) {
            // housekeeping runs 10 s after start (the stream id watch every 5 s): it trims the applied input
            // and deletes the 1 s buckets, which ended seconds ago
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.seriesBuckets.get() > 0 && seen.inputTrimmed.get() > 0);
            assertThat(processor.haltedPartitions()).isEmpty();
        }
    }

    /** Tells when housekeeping has run. */
    private static final class HousekeepingSeen implements ProcessorListener {
        final AtomicLong seriesBuckets = new AtomicLong();
        final AtomicLong inputTrimmed = new AtomicLong();

        @Override
        public void seriesBucketsExpired(long count) {
            seriesBuckets.addAndGet(count);
        }

        @Override
        public void trimmed(String topic, long count) {
            if (topic.equals("ops") || topic.equals("events")) {
                inputTrimmed.addAndGet(count);
            }
        }
    }

    private void restoreAfterFlushAll() throws InterruptedException {
        try (Processor processor = Processor.start(config(processorUser), ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.ownedPartitions().size() == PARTITIONS);
            admin.call("FLUSHALL");
            Thread.sleep(1_500);
        }
    }

    private void haltOnAnUnknownVersion() {
        try (Processor processor = Processor.start(config(processorUser), ProcessorListener.NOOP)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !processor.haltedPartitions().isEmpty());
            assertThat(processor.haltedPartitions()).containsOnlyKeys(0);
        }
    }

    private void assertAppliedAsTheModelSays(Map<String, String> triggerIds) {
        assertThat(appliedCounters()).isEqualTo(model);
        assertThat(total(keys::firings)).as("4 event firings, 1 threshold, 1 time").isEqualTo(6);
        assertThat(total(keys::dlq)).as("bogus op, event without type").isEqualTo(2);
        assertThat(admin.call("PFCOUNT", keys.hll(partitioner.partitionOf("acl.u"), "acl.u"))).isEqualTo(3L);
        assertThat(triggerIds).hasSize(3);
    }

    private Map<String, Long> appliedCounters() {
        Map<String, Long> applied = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            admin.hgetall(keys.counters(p)).forEach((k, v) -> {
                if (k.startsWith("acl.")) {
                    applied.put(k, Long.parseLong(v));
                }
            });
        }
        return applied;
    }

    /** Entries of one stream summed over the partitions. */
    private long total(java.util.function.IntFunction<String> stream) {
        long n = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            n += (Long) admin.call("XLEN", stream.apply(p));
        }
        return n;
    }

    // --- plumbing ------------------------------------------------------------------------------------

    private interface Step {
        void run() throws Exception;
    }

    private void window(Role role, Step step) throws Exception {
        windows.begin(role);
        try {
            step.run();
        } finally {
            windows.end();
        }
    }

    private void add(String counter, long delta) {
        model.merge(counter, delta, Long::sum);
    }

    private TallyConfig config(RedisUser user) {
        return TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "redis://" + user.name() + "@127.0.0.1:" + port)
                .set(TallyConfig.REDIS_PASSWORD, user.password())
                .set(TallyConfig.NAMESPACE, NAMESPACE).set(TallyConfig.PARTITIONS, PARTITIONS)
                .set(TallyConfig.PROCESSOR_ID, "acl")
                // small batches keep a partition reading after its first batch, so that it takes the fast
                // path (read-ahead on the direct connection, apply_counters.lua)
                .set(TallyConfig.BATCH_SIZE, 10).set(TallyConfig.FAST_PATH_MIN_READ, 1)
                .set(TallyConfig.SERIES_WINDOWS, io.tally.common.series.SeriesWindows.parse(WINDOWS))
                .set(TallyConfig.FINISHED_TRIGGER_RETENTION_MS, 1_000L)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN)
                .build();
    }

    /** Runs a {@code tally} command in-process as this user; fails unless it exits 0. */
    private String cli(RedisUser user, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", "redis://" + user.name() + "@127.0.0.1:" + port, "--namespace", NAMESPACE));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(all.toArray(String[]::new),
                Map.of("TALLY_REDIS_PASSWORD", user.password(), "TALLY_SERIES_WINDOWS", WINDOWS),
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).as("tally %s as %s: %s%s", String.join(" ", args), user.name(), out, err).isZero();
        return out.toString();
    }

    private static String id(String triggerJson) {
        try {
            return JSON.readTree(triggerJson).get("id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code tally serve} in-process on a Redis client of the given user's. */
    private static final class Service implements AutoCloseable {
        private final RedissonClient redis;
        private final ApiServer server;

        Service(TallyConfig config) {
            this.redis = RedisClientFactory.create(config);
            this.server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                    ServiceMetrics.newRegistry());
        }

        HttpResponse<String> get(String path) throws Exception {
            return send(HttpRequest.newBuilder(uri(path)).GET());
        }

        HttpResponse<String> delete(String path) throws Exception {
            return send(HttpRequest.newBuilder(uri(path)).DELETE());
        }

        HttpResponse<String> post(String path, String body) throws Exception {
            return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        private URI uri(String path) {
            return URI.create("http://127.0.0.1:" + server.port() + path);
        }

        private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
            return HTTP.send(request.header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            server.close();
            redis.shutdown();
        }
    }
}
