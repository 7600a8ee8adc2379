package io.tally.producer.internal.scan;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.read.CounterPage;
import io.tally.producer.read.CounterValue;
import io.tally.producer.read.TallyReader;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerPage;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
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
 * A page takes each HSCAN call whole, asking it for the room the page has left: it holds about its limit, never
 * more than twice it ({@link PageBound}) unless its first call alone does (a listpack-encoded hash comes whole),
 * and a further call that would take it past that is left whole for the next page.
 */
@ExtendWith(RealRedisExtension.class)
class ListingPageBoundTest {
    @Test
    void counterPagesOfAHashTable_holdTheLimitOrAFewMore_atMostTwiceIt_andListEveryCounterOnce(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        Map<String, String> all = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            all.put("c" + i, "1");
        }
        redis.<String, String>getMap(TestRedis.keys(config).counters(0), StringCodec.INSTANCE).putAll(all, 5000);
        TallyReader reader = RedisTallyReader.open(redis, config);

        List<String> listed = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            CounterPage page = reader.counterPage(null, cursor, 50);
            page.counters().stream().map(CounterValue::name).forEach(listed::add);
            sizes.add(page.counters().size());
            cursor = page.cursor();
        } while (cursor != null && sizes.size() < 1000);

        assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(all.keySet());
        assertThat(sizes).as("counters of each page").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(100));
        assertThat(sizes.subList(0, sizes.size() - 1)).as("counters of each page but the last")
                .allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(50));
    }

    @Test
    void aCallThatWouldTakeAPagePastTwiceItsLimit_isLeftWholeForTheNextPage_whoseFirstCallItIsTakenWhole(
            TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).build();
        RedissonClient redis = testRedis.client();
        Namespace.create(redis, config);
        Keys keys = TestRedis.keys(config);
        Map<String, String> few = new HashMap<>();
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            (i < 5 ? few : many).put("c" + i, "1");
        }
        many.put("c0-more", "1");
        // small hashes: Redis keeps them as listpacks, which HSCAN returns whole whatever COUNT
        redis.<String, String>getMap(keys.counters(0), StringCodec.INSTANCE).putAll(few);
        redis.<String, String>getMap(keys.counters(1), StringCodec.INSTANCE).putAll(many);
        TallyReader reader = RedisTallyReader.open(redis, config);

        CounterPage first = reader.counterPage(null, null, 10);
        assertThat(first.counters()).extracting(CounterValue::name).containsExactlyInAnyOrderElementsOf(few.keySet());
        assertThat(first.cursor()).isNotNull();
        CounterPage second = reader.counterPage(null, first.cursor(), 10);
        assertThat(second.counters()).as("partition 1's whole listpack: the page's first call")
                .extracting(CounterValue::name).containsExactlyInAnyOrderElementsOf(many.keySet());
        assertThat(second.cursor()).isNull();
    }

    @Test
    void triggerPagesHoldAtMostTwiceTheirLimit_andListEveryTriggerOnce(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            Set<String> created = new HashSet<>();
            for (int i = 0; i < 300; i++) {
                created.add(client.create(TriggerDefinition.event("e" + (i % 7)).build()).id());
            }
            List<String> listed = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            String cursor = null;
            do {
                TriggerPage page = client.listPage(null, null, cursor, 10);
                page.triggers().stream().map(Trigger::id).forEach(listed::add);
                sizes.add(page.triggers().size());
                cursor = page.cursor();
            } while (cursor != null && sizes.size() < 1000);

            assertThat(listed).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
            assertThat(sizes).as("triggers of each page").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(20));
            assertThat(sizes.stream().mapToInt(Integer::intValue).average().orElseThrow()).as("triggers of a page")
                    .isGreaterThan(5);
        }
    }
}
