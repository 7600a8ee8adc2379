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
 * Deletions between pages make Redis shrink a hash (under a tenth full, to the next power of two of what it holds),
 * so that an HSCAN call made again from the same cursor covers other buckets. A page that ended inside a call and
 * went on by repeating it skipped elements present for the whole listing: 5 to 8 of 303 triggers when the hash
 * shrank once; and once repeated calls whose names had changed were taken whole (once per call, so that a listing
 * under steady writes ends), still 11 to 16 of 400 counters and 11 to 45 of 57 triggers when it shrank twice
 * within the pages of one call. Now a page takes every call's reply whole or leaves the call to the next page: each listing is
 * a plain HSCAN iteration, and every element present throughout is listed however often the hash changes.
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
            assertThat(first.triggers()).as("about the limit, at most twice it").hasSizeBetween(1, 6);
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
        assertThat(first.counters()).as("about the limit, at most twice it").hasSizeBetween(1, 6);
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
     * Counters sorting before every filler: the names a page that ended inside a call went on after. The hash
     * shrinks twice within what used to be one call's pages: 20,000 fields (32,768 buckets) cut to 3,300 (above a
     * tenth: no shrink) before the first page, to 3,000 after it (4,096 buckets), and to the 400 kept after the second
     * (512 buckets).
     */
    @Test
    void countersPresentForTheWholeListing_areListed_whenTheHashShrinksTwiceWithinOneCallsPages(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        RMap<String, String> counters = redis.getMap(TestRedis.keys(config).counters(0), StringCodec.INSTANCE);
        Set<String> kept = new HashSet<>();
        Map<String, String> all = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            kept.add(String.format("a%04d", i));
            all.put(String.format("a%04d", i), "1");
        }
        List<String> fillers = new ArrayList<>();
        for (int i = 0; all.size() < 20_000; i++) {
            fillers.add(String.format("z%05d", i));
            all.put(String.format("z%05d", i), "1");
        }
        counters.putAll(all, 5000);
        deleteDownTo(counters, fillers, 3300 - kept.size());
        TallyReader reader = RedisTallyReader.open(redis, config);

        Set<String> listed = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            CounterPage page = reader.counterPage(null, cursor, 3);
            page.counters().stream().map(CounterValue::name).forEach(listed::add);
            cursor = page.cursor();
            pages++;
            if (pages == 1) {
                // deleted too, so that a call made again from the page's cursor surely differs
                page.counters().forEach(c -> kept.remove(c.name()));
                counters.fastRemove(page.counters().stream().map(CounterValue::name).toArray(String[]::new));
                deleteDownTo(counters, fillers, 3000 - kept.size());
            } else if (pages == 2) {
                deleteDownTo(counters, fillers, 0);
            }
        } while (cursor != null);
        assertThat(kept).as("counters never listed").allMatch(listed::contains);
    }

    /** As for counters: ids of triggers a client created sort before those of the fillers ('z...'). */
    @Test
    void triggersPresentForTheWholeListing_areListed_whenTheHashShrinksTwiceWithinOneCallsPages(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            Set<String> kept = new HashSet<>();
            for (int i = 0; i < 60; i++) {
                kept.add(client.create(TriggerDefinition.event("t" + (i % 10)).build()).id());
            }
            RMap<String, String> triggers = redis.getMap(TestRedis.keys(config).triggers(0), StringCodec.INSTANCE);
            int keptFields = triggers.size();
            assertThat(keptFields).as("fields of the kept triggers").isLessThan(409);
            // fillers of two fields each: a definition and a status
            Map<String, String> all = new HashMap<>();
            List<String> fillers = new ArrayList<>();
            for (int i = 0; keptFields + 2 * fillers.size() < 20_000; i++) {
                String id = String.format("z%05d", i);
                fillers.add(id);
                all.put(id, "{\"kind\":\"event\",\"eventType\":\"filler\"}");
                all.put(id + ":status", "active");
            }
            triggers.putAll(all, 5000);
            deleteTriggersDownTo(triggers, fillers, (3300 - keptFields) / 2);

            Set<String> listed = new HashSet<>();
            String cursor = null;
            int pages = 0;
            do {
                TriggerPage page = client.listPage(null, null, cursor, 3);
                page.triggers().forEach(t -> listed.add(t.id()));
                cursor = page.cursor();
                pages++;
                if (pages == 1) {
                    // deleted too, so that a call made again from the page's cursor surely differs
                    Set<String> doomed = new HashSet<>();
                    page.triggers().forEach(t -> doomed.add(t.id()));
                    kept.removeAll(doomed);
                    deleteTriggers(triggers, doomed);
                    deleteTriggersDownTo(triggers, fillers, (3000 - keptFields) / 2);
                } else if (pages == 2) {
                    deleteTriggersDownTo(triggers, fillers, 0);
                }
            } while (cursor != null);
            assertThat(kept).as("triggers never listed").allMatch(listed::contains);
        }
    }

    /** Deletes fields of {@code fillers} from its end until {@code left} are left, then {@link #finishRehash}. */
    private static void deleteDownTo(RMap<String, String> hash, List<String> fillers, int left) {
        while (fillers.size() > left) {
            List<String> doomed = fillers.subList(Math.max(left, fillers.size() - 1000), fillers.size());
            hash.fastRemove(doomed.toArray(String[]::new));
            doomed.clear();
        }
        finishRehash(hash);
    }

    /**
     * Redis moves a resized hash to its new table a bucket per command on it (up to ten empty ones at a time), and
     * does not shrink it again while it does: each lookup of these 20,000 absent fields moves one on, finishing it.
     */
    private static void finishRehash(RMap<String, String> hash) {
        Set<String> absent = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            absent.add("absent" + i);
        }
        assertThat(hash.getAll(absent)).isEmpty();
    }

    /** Deletes filler triggers (definition and status) of {@code fillers} from its end until {@code left} are left. */
    private static void deleteTriggersDownTo(RMap<String, String> hash, List<String> fillers, int left) {
        while (fillers.size() > left) {
            List<String> doomed = fillers.subList(Math.max(left, fillers.size() - 500), fillers.size());
            List<String> fields = new ArrayList<>();
            doomed.forEach(id -> {
                fields.add(id);
                fields.add(id + ":status");
            });
            hash.fastRemove(fields.toArray(String[]::new));
            doomed.clear();
        }
        finishRehash(hash);
    }

    /**
     * A hash changing between every two pages does not keep the listing from ending: each page takes its calls whole,
     * so the HSCAN cursor advances with every page (a listing that took a changed repeated call whole every time
     * went on for ever).
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

    /** Deletes every field of the triggers {@code ids} (a definition and its '<id>:...' state fields). */
    private static void deleteTriggers(RMap<String, String> triggers, Set<String> ids) {
        List<String> doomed = new ArrayList<>();
        for (String field : triggers.keySet(1000)) {
            int colon = field.indexOf(':');
            if (ids.contains(colon < 0 ? field : field.substring(0, colon))) {
                doomed.add(field);
            }
        }
        triggers.fastRemove(doomed.toArray(String[]::new));
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
