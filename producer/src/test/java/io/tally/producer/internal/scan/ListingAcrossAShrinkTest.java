package io.tally.producer.internal.scan;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.TallyReader;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerPage;
import io.tally.testkit.Pause;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RMap;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page that ends inside an HSCAN call goes on by repeating that call. When deletions between the pages make
 * Redis shrink the hash (under a tenth full), the repeated call covers buckets the first one did not visit, and
 * before, their elements named up to the last one taken were skipped for good: 5 to 8 of 303 triggers present
 * for the whole listing were never listed. Now a repeated call whose names up to where the page ended changed
 * takes its whole reply (some elements may come twice, as HSCAN allows), once per call: a hash that keeps
 * changing between pages does not keep the listing from ending.
 */
@ExtendWith(RealRedisExtension.class)
class ListingAcrossAShrinkTest {
    private static final int CREATED = 3000;
    private static final int KEPT = 303;

    @Test
    void triggersPresentForTheWholeListing_areListed_whenTheHashShrinksBetweenPages(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).set(TallyConfig.MAX_TRIGGERS, 10_000).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < CREATED; i++) {
                ids.add(client.create(TriggerDefinition.event("t" + (i % 10)).build()).id());
            }
            TriggerPage first = client.listPage(null, null, null, 3);
            assertThat(first.triggers()).hasSize(3);
            Set<String> kept = new HashSet<>(ids.subList(0, KEPT));
            first.triggers().forEach(t -> kept.remove(t.id())); // deleted too: the hash shrinks below them
            deleteAllBut(redis.getMap(TestRedis.keys(config).triggers(0), StringCodec.INSTANCE), kept);
            Pause.ms(1500); // Redis resizes hashes in its cron (10 times a second)

            Set<String> listed = new HashSet<>();
            String cursor = first.cursor();
            while (cursor != null) {
                TriggerPage page = client.listPage(null, null, cursor, 3);
                page.triggers().forEach(t -> listed.add(t.id()));
                cursor = page.cursor();
            }
            assertThat(kept).as("triggers never listed").allMatch(listed::contains);
            assertThat(listed).containsExactlyInAnyOrderElementsOf(kept);
        }
    }

    @Test
    void countersPresentForTheWholeListing_areListed_whenTheHashShrinksBetweenPages(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        Keys keys = TestRedis.keys(config);
        RMap<String, String> counters = redis.getMap(keys.counters(0), StringCodec.INSTANCE);
        Map<String, String> all = new HashMap<>();
        for (int i = 0; i < CREATED * 7; i++) {
            all.put("c" + i, "1");
        }
        counters.putAll(all);
        TallyReader reader = RedisTallyReader.open(redis, config);
        CounterPage first = reader.counterPage(null, null, 3);
        assertThat(first.counters()).hasSize(3);
        Set<String> kept = new HashSet<>();
        for (int i = 0; i < KEPT * 7; i++) {
            kept.add("c" + i);
        }
        first.counters().forEach(c -> kept.remove(c.name()));
        Set<String> doomed = new HashSet<>(all.keySet());
        doomed.removeAll(kept);
        counters.fastRemove(doomed.toArray(String[]::new));
        Pause.ms(1500);

        Set<String> listed = new HashSet<>();
        String cursor = first.cursor();
        while (cursor != null) {
            CounterPage page = reader.counterPage(null, cursor, 3);
            page.counters().stream().map(CounterValue::name).forEach(listed::add);
            cursor = page.cursor();
        }
        assertThat(kept).as("counters never listed").allMatch(listed::contains);
    }

    /**
     * A hash changing between every two pages makes every repeated call differ; it is taken whole once per call, so
     * the listing still ends (taken whole every time, it went on for ever). What that leaves: a second change within
     * the pages of one call may still skip an element (docs/api.md).
     */
    @Test
    void aListingUnderSteadyCreatesAndDeletes_ends(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        RMap<String, String> counters = redis.getMap(TestRedis.keys(config).counters(0), StringCodec.INSTANCE);
        for (int size : new int[]{60, 2000}) { // a listpack, then a hash table
            counters.delete();
            Map<String, String> all = new HashMap<>();
            for (int i = 0; i < size; i++) {
                all.put("k" + i, "1");
            }
            counters.putAll(all);
            TallyReader reader = RedisTallyReader.open(redis, config);
            String cursor = null;
            int pages = 0;
            int churn = size / 100 + 1;
            do {
                cursor = reader.counterPage(null, cursor, 10).cursor();
                pages++;
                for (int c = 0; c < churn; c++) { // one created and one deleted: the hash keeps its size
                    counters.fastPut("new" + pages + "-" + c, "1");
                    counters.fastRemove("new" + (pages - 1) + "-" + c);
                }
            } while (cursor != null && pages < 4 * size / 10);
            assertThat(cursor).as("listing of %d counters, %d pages", size, pages).isNull();
        }
    }

    /** Deletes every field of every trigger but those kept (a definition and its '<id>:...' state fields). */
    private static void deleteAllBut(RMap<String, String> triggers, Set<String> kept) {
        List<String> doomed = new ArrayList<>();
        for (String field : triggers.keySet(1000)) {
            int colon = field.indexOf(':');
            String id = colon < 0 ? field : field.substring(0, colon);
            if (!id.isEmpty() && !kept.contains(id)) {
                doomed.add(field);
            }
        }
        for (int from = 0; from < doomed.size(); from += 1000) {
            triggers.fastRemove(doomed.subList(from, Math.min(doomed.size(), from + 1000)).toArray(String[]::new));
        }
    }
}
