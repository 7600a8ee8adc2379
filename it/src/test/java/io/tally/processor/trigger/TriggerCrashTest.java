package io.tally.processor.trigger;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.Event;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import io.tally.testkit.PipelineInspector;
import io.tally.it.harness.PacedSender;
import io.tally.testkit.ProcessorFleet;
import io.tally.testkit.ProcessorProcess;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Firings stay exactly-once while processor JVMs are SIGKILLed: every matching event gives exactly one
 * firing per trigger, repeating time triggers cover each due time exactly once, and time triggers that came due while no processor ran fire once after the
 * takeover (repeating ones with {@code missed}).
 */
@Tag("slow")
@ExtendWith(RealRedisExtension.class)
class TriggerCrashTest {
    private static final int P = 8;
    private static final List<String> TYPES = List.of("click", "view", "buy", "signup", "share");
    private static final List<String> COUNTRIES = List.of("FR", "DE", "US");
    private static final List<String> DEVICES = List.of("mobile", "desktop");
    /** Four match patterns per event type: 5 types x 4 = 20 triggers. */
    private static final List<Map<String, String>> MATCHES = List.of(
            Map.of(), Map.of("country", "FR"), Map.of("device", "desktop"), Map.of("country", "DE", "device", "mobile"));

    private final List<ProcessorProcess> processes = new ArrayList<>();
    private final List<ProcessorFleet> fleets = new ArrayList<>();

    @AfterEach
    void stopAll() {
        processes.forEach(ProcessorProcess::close);
        fleets.forEach(ProcessorFleet::close);
    }

    @Test
    void sigkilledProcessors_everyMatchingEventFiresEachTriggerExactlyOnce(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(P).build();
        List<String> args = args();
        RedissonClient client = redis.client();
        try (TriggerClient triggers = RedisTriggerClient.create(client, config, InstantSource.system())) {
            Map<String, TriggerDefinition> defs = new HashMap<>();
            for (String type : TYPES) {
                for (Map<String, String> match : MATCHES) {
                    TriggerDefinition d = TriggerDefinition.event(type).match(match).mode(TriggerMode.EVERY)
                            .param("rule", type + match).build();
                    defs.put(triggers.create(d).id(), d);
                }
            }
            // Repeating time triggers ride through the same kills: each due time is covered exactly once.
            long at = redisTimeMs(client) + 3000;
            List<Trigger> clocks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clocks.add(triggers.create(TriggerDefinition.time(at + 50L * i).every(400L).build()));
            }
            ProcessorFleet fleet = new ProcessorFleet("p", redis.url(), config.namespace(), args).start(3);
            fleets.add(fleet);

            List<Event> events = events(50_000, 20261124L);
            Thread producer = PacedSender.start(config, events, 5_000, 400, TallyProducer::emit);
            int kills = fleet.killAndReplaceWhile(producer::isAlive, 3, 2000, 1500, new Random(7));
            producer.join();

            PipelineInspector inspector = new PipelineInspector(client, config.namespace(), P);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());

            clocks.forEach(t -> triggers.cancel(t.id()));
            List<Firing> firings = FiringsLog.all(client, TestRedis.keys(config), P);
            assertThat(firings.stream().map(Firing::firingId).distinct().count())
                    .as("firing ids are unique").isEqualTo(firings.size());
            for (Trigger clock : clocks) {
                assertCoversItsGridOnce(clock, firings, triggers.get(clock.id()).orElseThrow().fireCount());
            }
            firings = firings.stream().filter(f -> defs.containsKey(f.triggerId())).toList();
            Map<String, Long> perTrigger = firings.stream()
                    .collect(Collectors.groupingBy(Firing::triggerId, Collectors.counting()));
            Map<String, Long> expected = new HashMap<>();
            Map<String, Long> fireCounts = new HashMap<>();
            defs.forEach((id, d) -> {
                expected.put(id, events.stream().filter(e -> matches(d, e)).count());
                Trigger t = triggers.get(id).orElseThrow();
                assertThat(t.status()).isEqualTo(TriggerStatus.ACTIVE);
                fireCounts.put(id, t.fireCount());
            });
            assertThat(expected.values()).allMatch(n -> n > 1_000); // every pattern is well exercised
            assertThat(perTrigger).as("firings per trigger after %d kills", kills).isEqualTo(expected);
            assertThat(fireCounts).as("fireCount per trigger").isEqualTo(expected);
            assertThat(kills).isGreaterThanOrEqualTo(3);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void timeTriggersDueWhileEveryOwnerWasKilled_fireOnceAfterTheTakeover(TestRedis redis) throws Exception {
        // four triggers every 300 ms fire 13.3 times a second, past the default max-time-firings-per-second
        TallyConfig config = redis.config(P).set(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND, 100).build();
        List<String> args = args();
        RedissonClient client = redis.client();
        try (TriggerClient triggers = RedisTriggerClient.create(client, config, InstantSource.system())) {
            processes.add(ProcessorProcess.start("a1", redis.url(), config.namespace(), args));
            processes.add(ProcessorProcess.start("a2", redis.url(), config.namespace(), args));
            Keys keys = TestRedis.keys(config);
            // A probe due soon shows the processors fire on time before the kill.
            Trigger probe = triggers.create(TriggerDefinition.time(redisTimeMs(client) + 1500).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> firingsOf(client, keys, probe.id()).size() == 1);

            long at = redisTimeMs(client) + 2500; // due after the kill below
            List<Trigger> once = new ArrayList<>();
            List<Trigger> every = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                once.add(triggers.create(TriggerDefinition.time(at + 10L * i).param("n", "o" + i).build()));
            }
            for (int i = 0; i < 4; i++) {
                every.add(triggers.create(TriggerDefinition.time(at).every(300L).param("n", "e" + i).build()));
            }
            processes.forEach(ProcessorProcess::kill);
            long killedAt = redisTimeMs(client);
            assertThat(killedAt).as("the kill happened before the triggers were due").isLessThan(at);

            // Past the due time and the lease TTL: nobody may have fired anything.
            await().atMost(Duration.ofSeconds(20)).until(() -> redisTimeMs(client) >= at + 2500);
            for (Trigger t : concat(once, every)) {
                assertThat(firingsOf(client, keys, t.id())).as("firings of %s with no owner", t.id()).isEmpty();
            }
            long startedAt = redisTimeMs(client);
            processes.add(ProcessorProcess.start("b1", redis.url(), config.namespace(), args));

            await().atMost(Duration.ofSeconds(40)).until(() -> once.stream().allMatch(t ->
                    !firingsOf(client, keys, t.id()).isEmpty()) && every.stream().allMatch(t ->
                    firingsOf(client, keys, t.id()).size() >= 3));
            for (Trigger t : every) {
                triggers.cancel(t.id());
            }
            Thread.sleep(500); // a repeated firing would show up by now

            for (Trigger t : once) {
                List<Firing> f = firingsOf(client, keys, t.id());
                assertThat(f).as("firings of once trigger %s", t.id()).hasSize(1);
                assertThat(f.get(0).cause()).isEqualTo(Long.toString(t.definition().at()));
                assertThat(f.get(0).missed()).isZero();
                assertThat(f.get(0).firedAt()).isGreaterThanOrEqualTo(startedAt);
                Trigger after = triggers.get(t.id()).orElseThrow();
                assertThat(after.status()).isEqualTo(TriggerStatus.FIRED);
                assertThat(after.fireCount()).isEqualTo(1);
            }
            long missedAtLeast = (startedAt - at) / 300 - 1; // due times that passed before the restart
            for (Trigger t : every) {
                List<Firing> f = firingsOf(client, keys, t.id());
                Firing first = f.get(0);
                assertThat(first.missed()).isGreaterThanOrEqualTo(missedAtLeast);
                assertThat(Long.parseLong(first.cause())).as("first firing after the takeover: the newest due time, "
                        + "the missed ones before it from at on").isEqualTo(at + 300 * first.missed());
                assertThat(first.firedAt()).isGreaterThanOrEqualTo(startedAt);
                // Then back on the grid, one firing per period, none repeated.
                long next = at + 300 * (first.missed() + 1);
                for (Firing later : f.subList(1, f.size())) {
                    assertThat(later.cause()).isEqualTo(Long.toString(next));
                    assertThat(later.missed()).isZero();
                    next += 300;
                }
                assertThat(triggers.get(t.id()).orElseThrow().fireCount()).isEqualTo(f.size());
            }
            assertThat(firingsOf(client, keys, probe.id())).hasSize(1);
        } finally {
            client.shutdown();
        }
    }

    /**
     * Firing k of a repeating trigger covers its cause and the {@code missed} due times before it; the next
     * firing covers the due times right after it. So no due time is fired twice or skipped.
     */
    private static void assertCoversItsGridOnce(Trigger t, List<Firing> all, long fireCount) {
        List<Firing> f = all.stream().filter(x -> x.triggerId().equals(t.id())).toList();
        long every = t.definition().every();
        long expected = t.definition().at();
        long dueTimesCovered = 0;
        for (Firing x : f) {
            // expected: the first due time this firing stands for
            assertThat(Long.parseLong(x.cause())).as("cause of %s", x.firingId()).isEqualTo(expected + every * x.missed());
            expected += every * (x.missed() + 1);
            dueTimesCovered += x.missed() + 1;
        }
        // The clock ran through the kills: more than 10 due times, each covered once (periods missed while
        // a partition had no owner are merged into one firing, so firings alone may number fewer).
        assertThat(dueTimesCovered).as("due times covered by %s", t.id()).isGreaterThan(10);
        assertThat(fireCount).as("fireCount of %s", t.id()).isEqualTo(f.size());
    }

    private static List<String> args() {
        return List.of("--partitions", Integer.toString(P), "--lease-ttl-ms", "2000", "--batch-size", "200");
    }

    private static List<Event> events(int count, long seed) {
        Random random = new Random(seed);
        List<Event> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(Event.of(TYPES.get(random.nextInt(TYPES.size())), Map.of(
                    "country", COUNTRIES.get(random.nextInt(COUNTRIES.size())),
                    "device", DEVICES.get(random.nextInt(DEVICES.size())),
                    "seq", Integer.toString(i))));
        }
        return out;
    }

    private static boolean matches(TriggerDefinition d, Event e) {
        return d.eventType().equals(e.type())
                && d.match().entrySet().stream().allMatch(m -> m.getValue().equals(e.params().get(m.getKey())));
    }

    private static List<Firing> firingsOf(RedissonClient client, Keys keys, String triggerId) {
        return FiringsLog.all(client, keys, P).stream().filter(f -> f.triggerId().equals(triggerId)).toList();
    }

    private static long redisTimeMs(RedissonClient client) {
        org.redisson.client.protocol.Time t = client.getRedisNodes(RedisNodes.SINGLE).getInstance().time();
        return t.getSeconds() * 1000L + t.getMicroseconds() / 1000;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
