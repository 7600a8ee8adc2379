package io.tally.processor.trigger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.trigger.InvalidTriggerException;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.processor.Processor;
import io.tally.app.cli.TallyMain;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.processor.internal.housekeeping.Housekeeping;
import io.tally.processor.internal.housekeeping.Retention;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerLimitException;
import io.tally.testkit.Pause;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The bounds on triggers: per routing key and per namespace at creation, the size of a trigger's params,
 * and the firings one apply call may append, which keep a flood of triggers and events from pushing
 * Redis far past {@code maxmemory}.
 */
class TriggerCapsTest {
    private static final Pattern USED_MEMORY_PEAK = Pattern.compile("used_memory_peak:(\\d+)");
    private RedisServer server;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (server != null) {
            server.close();
        }
    }

    private TallyConfig.Builder config(int partitions) {
        server = RedisServer.start();
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, partitions);
    }

    private RedissonClient client(TallyConfig config) {
        RedissonClient redis = RedisClientFactory.create(config);
        closing.add(redis::shutdown);
        Namespace.create(redis, config);
        return redis;
    }

    @Test
    void aRoutingKeyTakesAtMostMaxTriggersPerKey_andACanceledOneMakesRoom() {
        TallyConfig config = config(4).set(TallyConfig.MAX_TRIGGERS_PER_KEY, 3).build();
        TriggerClient triggers = RedisTriggerClient.create(client(config), config, InstantSource.system());
        List<Trigger> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.add(triggers.create(TriggerDefinition.event("click").build()));
        }
        assertThatThrownBy(() -> triggers.create(TriggerDefinition.event("click").build()))
                .isInstanceOfSatisfying(TriggerLimitException.class, e -> {
                    assertThat(e.limit()).isEqualTo("max-triggers-per-key");
                    assertThat(e.value()).isEqualTo(3);
                    assertThat(e.retriable()).isFalse();
                })
                .hasMessageContaining("event type 'click' already has 3 active triggers, at most 3 allowed");
        assertThat(triggers.create(TriggerDefinition.event("view").build()).id()).as("another key").isNotBlank();

        triggers.cancel(made.get(0).id());
        assertThat(triggers.create(TriggerDefinition.event("click").build()).id()).isNotBlank();
    }

    @Test
    void pastTheCap_theHttpServiceAnswers422NamingIt_andTheCliExits2() throws Exception {
        TallyConfig config = config(4).set(TallyConfig.MAX_TRIGGERS_PER_KEY, 1).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, "caps-token-0123456789").build();
        RedissonClient redis = client(config);
        ApiServer api = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry());
        closing.add(api);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest create = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/v1/triggers"))
                .header("Authorization", "Bearer caps-token-0123456789").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"event\",\"eventType\":\"click\"}")).build();
        assertThat(http.send(create, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        HttpResponse<String> refused = http.send(create, HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(refused.body()).contains("\"limit\":\"max-triggers-per-key\"").contains("\"value\":1")
                .contains("already has 1 active triggers");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(new String[] {"trigger", "add", "--kind", "event", "--event-type", "click",
                        "--redis-url", server.url(), "--namespace", config.namespace()},
                Map.of("TALLY_MAX_TRIGGERS_PER_KEY", "1"), new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(code).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("max-triggers-per-key").doesNotContain("Exception");
    }

    @Test
    void aNamespaceStoresAtMostMaxTriggers() {
        TallyConfig config = config(4).set(TallyConfig.MAX_TRIGGERS, 5).build();
        TriggerClient triggers = RedisTriggerClient.create(client(config), config, InstantSource.system());
        for (int i = 0; i < 5; i++) {
            triggers.create(TriggerDefinition.event("type-" + i).build());
        }
        assertThatThrownBy(() -> triggers.create(TriggerDefinition.event("type-5").build()))
                .isInstanceOfSatisfying(TriggerLimitException.class, e -> assertThat(e.limit()).isEqualTo("max-triggers"))
                .hasMessageContaining("stores 5 triggers, at most 5 allowed");
    }

    /**
     * The firings a second of a namespace's active repeating time triggers, 1000 / every each, at most
     * {@code max-time-firings-per-second}: the create that would pass it is refused (422 over HTTP, naming the cap)
     * and writes nothing; once and event triggers add nothing; a cancel gives its trigger's share back.
     */
    @Test
    void repeatingTimeTriggersFireAtMostMaxTimeFiringsPerSecondTogether_andACanceledOneMakesRoom() throws Exception {
        TallyConfig config = config(4).set(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND, 25).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, "caps-token-0123456789").build();
        RedissonClient redis = client(config);
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        long at = System.currentTimeMillis() + 3_600_000;
        Trigger tenASecond = triggers.create(TriggerDefinition.time(at).every(100L).build());
        triggers.create(TriggerDefinition.time(at).every(100L).build());
        for (int i = 0; i < 5; i++) {
            triggers.create(TriggerDefinition.time(at).every(1000L).build());
        }
        assertThat(timeRates(config, redis)).as("25 firings a second, in millionths").isEqualTo(25_000_000L);
        long stored = storedTriggers(config, redis);

        assertThatThrownBy(() -> triggers.create(TriggerDefinition.time(at).every(60_000L).build()))
                .isInstanceOfSatisfying(TriggerLimitException.class, e -> {
                    assertThat(e.limit()).isEqualTo("max-time-firings-per-second");
                    assertThat(e.value()).isEqualTo(25);
                })
                .hasMessageContaining("fire 25.00 times a second, and this one (every 60000 ms) would add 0.02, at "
                        + "most 25 allowed");
        ApiServer api = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry());
        closing.add(api);
        HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + api.port() + "/v1/triggers"))
                .header("Authorization", "Bearer caps-token-0123456789").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"time\",\"at\":" + at + ",\"every\":100}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        assertThat(refused.body()).contains("\"limit\":\"max-time-firings-per-second\"").contains("\"value\":25")
                .contains("nothing was written");
        assertThat(storedTriggers(config, redis)).as("nothing was written").isEqualTo(stored);
        assertThat(timeRates(config, redis)).isEqualTo(25_000_000L);

        triggers.create(TriggerDefinition.time(at).build());
        triggers.create(TriggerDefinition.event("click").build());
        assertThat(timeRates(config, redis)).as("once and event triggers add nothing").isEqualTo(25_000_000L);

        triggers.cancel(tenASecond.id());
        assertThat(timeRates(config, redis)).isEqualTo(15_000_000L);
        triggers.cancel(tenASecond.id());
        assertThat(timeRates(config, redis)).as("a second cancel gives nothing back").isEqualTo(15_000_000L);
        assertThat(triggers.create(TriggerDefinition.time(at).every(100L).build()).id()).isNotBlank();
        assertThat(timeRates(config, redis)).isEqualTo(25_000_000L);
    }

    /**
     * Repeating time triggers stored the way a version before shares were kept stored them (no {@code <id>:rate},
     * nothing in {@code :time-rate}) count in nothing, so creates pass the cap unseen; once the processor's
     * housekeeping counted them, a create past the cap is refused (422 over HTTP), a cancel of one gives its share
     * back, and further runs add nothing.
     */
    @Test
    void repeatingTimeTriggersStoredWithoutAShare_areCountedByHousekeeping_andThenHoldTheCap() throws Exception {
        TallyConfig config = config(2).set(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND, 25).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_TOKENS, "caps-token-0123456789").build();
        RedissonClient redis = client(config);
        Keys keys = TestRedis.keys(config);
        long at = System.currentTimeMillis() + 3_600_000;
        List<String> old = new ArrayList<>();
        for (int i = 0; i < 3; i++) { // 30 firings a second, on both partitions
            String id = "t" + (i % 2) + "-01J" + "A".repeat(22) + i; // a ULID, made up
            redis.<String, String>getMap(keys.triggers(i % 2), StringCodec.INSTANCE).putAll(Map.of(
                    id, "{\"id\":\"" + id + "\",\"kind\":\"time\",\"mode\":\"every\",\"at\":" + at
                            + ",\"every\":100}",
                    id + ":status", "active", id + ":fireCount", "0", id + ":createdAt", "1700000000000"));
            redis.getScoredSortedSet(keys.schedule(i % 2), StringCodec.INSTANCE).add(at, id);
            old.add(id);
        }
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        assertThat(triggers.create(TriggerDefinition.time(at).every(1000L).build()).id()).as("unseen: passes")
                .isNotBlank();
        assertThat(timeRates(config, redis)).isEqualTo(1_000_000L);

        for (int p = 0; p < 2; p++) {
            redis.getBucket(keys.lease(p), StringCodec.INSTANCE).set("hk:1");
        }
        Housekeeping housekeeping = new Housekeeping(redis, keys, "hk:1", 0, 60_000, Retention.FOREVER,
                ProcessorListener.NOOP);
        housekeeping.load();
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger housekeepingLog = (Logger) LoggerFactory.getLogger("io.tally.processor.internal.housekeeping");
        housekeepingLog.addAppender(logs);
        try {
            housekeeping.run(List.of(0, 1), List.of("hk:1"), p -> {
                throw new AssertionError("lease lost on " + p);
            });
        } finally {
            housekeepingLog.detachAppender(logs);
        }

        assertThat(timeRates(config, redis)).as("31 firings a second, in millionths").isEqualTo(31_000_000L);
        assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.INFO).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactlyInAnyOrder(
                        "partition 0: 2 repeating time trigger(s) stored without a share of :time-rate are now counted "
                                + "in it (max-time-firings-per-second)",
                        "partition 1: 1 repeating time trigger(s) stored without a share of :time-rate are now counted "
                                + "in it (max-time-firings-per-second)");
        assertThatThrownBy(() -> triggers.create(TriggerDefinition.time(at).every(60_000L).build()))
                .isInstanceOfSatisfying(TriggerLimitException.class,
                        e -> assertThat(e.limit()).isEqualTo("max-time-firings-per-second"))
                .hasMessageContaining("fire 31.00 times a second");
        ApiServer api = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry());
        closing.add(api);
        HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + api.port() + "/v1/triggers"))
                .header("Authorization", "Bearer caps-token-0123456789").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"time\",\"at\":" + at + ",\"every\":1000}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
        assertThat(refused.body()).contains("\"limit\":\"max-time-firings-per-second\"");

        housekeeping.run(List.of(0, 1), List.of("hk:1"), p -> {
        });
        assertThat(timeRates(config, redis)).as("a second run adds nothing").isEqualTo(31_000_000L);
        triggers.cancel(old.get(0));
        triggers.cancel(old.get(1));
        assertThat(timeRates(config, redis)).as("the cancels give 10 a second back each").isEqualTo(11_000_000L);
        assertThat(triggers.create(TriggerDefinition.time(at).every(100L).build()).id()).isNotBlank();
        assertThat(timeRates(config, redis)).isEqualTo(21_000_000L);
    }

    /** One client's creates racing each other cannot pass the cap together: at most 5 of 20 triggers of 10 a second. */
    @Test
    void racingCreatesOfOneClient_passNoMaxTimeFiringsPerSecond() {
        TallyConfig config = config(4).set(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND, 50).build();
        RedissonClient redis = client(config);
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        long at = System.currentTimeMillis() + 3_600_000;
        List<CompletableFuture<Boolean>> creates = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            creates.add(CompletableFuture.supplyAsync(() -> {
                try {
                    triggers.create(TriggerDefinition.time(at).every(100L).build());
                    return true;
                } catch (TriggerLimitException e) {
                    return false;
                }
            }));
        }
        assertThat(creates.stream().filter(CompletableFuture::join).count()).isEqualTo(5);
        assertThat(timeRates(config, redis)).isEqualTo(50_000_000L);
    }

    /** The sum of the partitions' ':time-rate' fields. */
    private static long timeRates(TallyConfig config, RedissonClient redis) {
        return sumOfField(config, redis, ":time-rate");
    }

    /** The sum of the partitions' ':count' fields. */
    private static long storedTriggers(TallyConfig config, RedissonClient redis) {
        return sumOfField(config, redis, ":count");
    }

    private static long sumOfField(TallyConfig config, RedissonClient redis, String field) {
        Keys keys = TestRedis.keys(config);
        long sum = 0;
        for (int p = 0; p < config.get(TallyConfig.PARTITIONS); p++) {
            String v = redis.<String, String>getMap(keys.triggers(p), StringCodec.INSTANCE).get(field);
            sum += v == null ? 0 : Long.parseLong(v);
        }
        return sum;
    }

    @Test
    void paramsOfMoreThan8KiBAreRefused_sinceEveryFiringCopiesThem() {
        TriggerDefinition.Builder big = TriggerDefinition.event("click");
        for (int i = 0; i < 16; i++) {
            big.param("p" + i, "x".repeat(1000));
        }
        assertThatThrownBy(big::build).isInstanceOfSatisfying(InvalidTriggerException.class,
                e -> assertThat(e.field()).isEqualTo("params")).hasMessageContaining("at most 8192 allowed");
    }

    /** Every apply of an event of its type decodes the definition: a match of 60 values of 900 chars held Redis. */
    @Test
    void aMatchOfMoreThan2KiBIsRefused_sinceEveryEventOfItsTypeIsMatchedAgainstIt() throws Exception {
        TriggerDefinition.Builder big = TriggerDefinition.event("click");
        for (int i = 0; i < 3; i++) {
            big.match("k" + i, "x".repeat(1000));
        }
        assertThatThrownBy(big::build).isInstanceOfSatisfying(InvalidTriggerException.class,
                e -> assertThat(e.field()).isEqualTo("match")).hasMessageContaining("3006 bytes of names and values, "
                + "at most 2048 allowed");
        TriggerDefinition.Builder fits = TriggerDefinition.event("click");
        fits.match("k0", "x".repeat(1000)).match("k1", "x".repeat(1000));
        assertThat(fits.build().match()).hasSize(2);
    }

    /**
     * 100 {@code every} triggers with 4 KiB of params on one event type and 100 events: 10,000 firings,
     * about 42 MB, against {@code maxmemory 24mb}. Each apply call appends at most 250 firings (plus one
     * event's), so Redis stops the writes near its limit instead of a single call running far past it;
     * once memory is raised every firing is there exactly once.
     */
    @Test
    void aFloodOfFiringsIsAppliedInBoundedCalls_andRedisStaysNearMaxmemory() {
        TallyConfig config = config(1).set(TallyConfig.MAX_FIRINGS_PER_CALL, 250).build();
        RedissonClient redis = client(config);
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        Set<String> ids = new HashSet<>();
        for (int t = 0; t < 100; t++) {
            TriggerDefinition.Builder def = TriggerDefinition.event("click").mode(TriggerMode.EVERY);
            for (int i = 0; i < 4; i++) {
                def.param("p" + i, Integer.toString(t).repeat(1000).substring(0, 1000));
            }
            ids.add(triggers.create(def.build()).id());
        }
        List<Event> clicks = new ArrayList<>();
        for (int e = 0; e < 100; e++) {
            clicks.add(new Event("click", Map.of("n", Integer.toString(e)), "ev-" + e, null));
        }
        emitAndWait(redis, config, clicks);
        server.cli("CONFIG", "SET", "maxmemory", "24mb");
        server.cli("CONFIG", "RESETSTAT");
        BudgetCuts metrics = new BudgetCuts();
        Keys keys = TestRedis.keys(config);
        RStream<String, String> firings = redis.getStream(keys.firings(0), StringCodec.INSTANCE);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger tallyLog = (Logger) LoggerFactory.getLogger("io.tally");
        tallyLog.addAppender(logs);
        try (Processor processor = RedisProcessor.start(redis, config, metrics)) {
            // the writes stop once Redis is full: firings stop growing well short of 10,000
            await().atMost(Duration.ofSeconds(30)).until(() -> firings.size() > 0 && stable(firings));
            assertThat(firings.size()).isLessThan(10_000);
            long peak = usedMemoryPeak();
            // past the limit by one call's writes at most: 300 firings of ~5.5 KB as stored
            assertThat(peak).as("used_memory_peak").isLessThan(24L * 1024 * 1024 + 3L * 1024 * 1024);

            server.cli("CONFIG", "SET", "maxmemory", "0");
            await().atMost(Duration.ofSeconds(60)).until(() -> firings.size() == 10_000);
            assertThat(processor.ready()).isTrue();
        } finally {
            tallyLog.detachAppender(logs);
        }
        // the refusals are logged as Redis's reply, without Redisson's channel and command dump
        List<String> warnings = logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("OOM"));
        assertThat(warnings).noneSatisfy(w -> assertThat(w).containsAnyOf("channel:", "CommandData", "script: "));
        Map<String, Integer> perTrigger = new HashMap<>();
        Set<String> firingIds = new HashSet<>();
        firings.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values().forEach(f -> {
            perTrigger.merge(f.get("trigger"), 1, Integer::sum);
            firingIds.add(f.get("firing_id"));
            assertThat(f.get("p.p0")).hasSize(1000);
        });
        assertThat(perTrigger.keySet()).isEqualTo(ids);
        assertThat(perTrigger.values()).allMatch(n -> n == 100);
        assertThat(firingIds).hasSize(10_000);
        assertThat(metrics.firing.get()).as("calls stopped at the firing budget").isGreaterThanOrEqualTo(10_000 / 350);
    }

    /**
     * Three event types of 600 active triggers each, and a batch holding an event of each: before the trigger
     * budget, one call decoded all 1,800 definitions (with large ones, seconds of a blocked Redis); now a call
     * loads at most 1,000 past its first entry, so the batch goes in three calls, each event applied once, and
     * each type's one matching trigger fires once.
     */
    @Test
    void aBatchOfEventsOfManyTypesLoadsAtMost1000TriggersPerCall() {
        TallyConfig config = config(1).set(TallyConfig.MAX_TRIGGERS, 10_000).build();
        RedissonClient redis = client(config);
        TriggerClient triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        List<String> types = List.of("a", "b", "c");
        Set<String> matching = new HashSet<>();
        for (String type : types) {
            for (int i = 0; i < 599; i++) {
                triggers.create(TriggerDefinition.event(type).match("n", "never").build());
            }
            matching.add(triggers.create(TriggerDefinition.event(type).match("n", "1").build()).id());
        }
        emitAndWait(redis, config, types.stream().map(type -> new Event(type, Map.of("n", "1"), "ev-" + type, null)).toList());
        BudgetCuts metrics = new BudgetCuts();
        Keys keys = TestRedis.keys(config);
        RStream<String, String> firings = redis.getStream(keys.firings(0), StringCodec.INSTANCE);
        try (Processor processor = RedisProcessor.start(redis, config, metrics)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> firings.size() == 3
                    && redis.getStream(keys.events(0), StringCodec.INSTANCE).getPendingInfo("tally").getTotal() == 0);
            Pause.ms(500);
        }
        List<String> fired = new ArrayList<>();
        firings.range(StreamRangeArgs.startId(StreamMessageId.MIN).endId(StreamMessageId.MAX)).values()
                .forEach(f -> fired.add(f.get("trigger")));
        assertThat(fired).containsExactlyInAnyOrderElementsOf(matching);
        assertThat(metrics.trigger.get()).as("calls stopped at the trigger budget").isEqualTo(2);
    }

    /** Emits the events and waits until each is written. */
    private static void emitAndWait(RedissonClient redis, TallyConfig config, List<Event> events) {
        try (TallyProducer producer = RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<SendResult>> sends = events.stream().map(producer::emit).toList();
            producer.flush();
            sends.forEach(CompletableFuture::join);
        }
    }

    /** Counts the apply calls cut at each budget. */
    private static final class BudgetCuts implements ProcessorListener {
        final AtomicInteger firing = new AtomicInteger();
        final AtomicInteger trigger = new AtomicInteger();

        @Override
        public void firingBudgetReached(int partition) {
            firing.incrementAndGet();
        }

        @Override
        public void triggerBudgetReached(int partition) {
            trigger.incrementAndGet();
        }
    }

    private long lastSize = -1;

    /** The stream's length did not change over the last half second. */
    private boolean stable(RStream<String, String> stream) throws InterruptedException {
        long before = stream.size();
        Thread.sleep(500);
        long after = stream.size();
        boolean same = before == after && after == lastSize;
        lastSize = after;
        return same;
    }

    private long usedMemoryPeak() {
        Matcher m = USED_MEMORY_PEAK.matcher(server.cli("INFO", "memory"));
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }
}
