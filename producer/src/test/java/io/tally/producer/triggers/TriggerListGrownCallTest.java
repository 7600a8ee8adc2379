package io.tally.producer.triggers;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.RawRedis;
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

import static io.tally.producer.triggers.TriggerClient.MAX_PAGE_BYTES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page's COUNT grows while its calls return nothing (empty partitions, or a filter few triggers match). Only a
 * call of the page's initial COUNT is taken whole whatever it holds: a grown call reaching 1200 triggers of ~50 KB
 * on an empty page was taken whole, 59 MB in a page of limit 1. And with a kind filter, which decodes each
 * definition a call visits, a call decodes at most 4 MiB (a call of COUNT 8192 decoded all 60 MB, some 200 ms).
 */
@ExtendWith(RealRedisExtension.class)
class TriggerListGrownCallTest {
    private static final int PARTITIONS = 8;
    private static final int TRIGGERS = 1200;

    /** An event trigger of ~50 KB stored: 8 params of 1022 control characters, each escaped to 6 bytes. */
    private static TriggerDefinition large(String eventType) {
        TriggerDefinition.Builder def = TriggerDefinition.event(eventType);
        for (int j = 0; j < 8; j++) {
            def.param("p" + j, "\u0001".repeat(1022));
        }
        return def.build();
    }

    /** Stores {@link #TRIGGERS} copies of a Tally-made large event trigger, all in the last partition. */
    private static Set<String> fillLastPartition(TriggerClient client, RedissonClient redis, Keys keys) {
        Trigger template = null;
        for (int i = 0; template == null; i++) {
            Trigger t = client.create(large("e" + i));
            if (t.id().startsWith("t" + (PARTITIONS - 1) + "-")) {
                template = t;
            } else {
                client.cancel(t.id());
                redis.getMap(keys.triggers(Integer.parseInt(t.id().substring(1, t.id().indexOf('-')))),
                        StringCodec.INSTANCE).delete();
            }
        }
        RMap<String, String> hash = redis.getMap(keys.triggers(PARTITIONS - 1), StringCodec.INSTANCE);
        Map<String, String> stored = hash.getAll(Set.of(template.id(), template.id() + ":status",
                template.id() + ":fireCount", template.id() + ":createdAt"));
        hash.delete();
        Set<String> ids = new HashSet<>();
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < TRIGGERS; i++) {
            String id = "t" + (PARTITIONS - 1) + "-" + String.format("01%024d", i);
            ids.add(id);
            for (Map.Entry<String, String> f : stored.entrySet()) {
                batch.put(id + f.getKey().substring(template.id().length()), f.getValue());
            }
            if (batch.size() >= 400) {
                hash.putAll(batch);
                batch.clear();
            }
        }
        hash.putAll(batch);
        return ids;
    }

    @Test
    void aGrownCallOnAnEmptyPage_isNotTakenWhole_andTheListingStillReturnsEachTriggerOnce(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system());
             RawRedis raw = new RawRedis(testRedis.url())) {
            Set<String> ids = fillLastPartition(client, redis, TestRedis.keys(config));

            long sentBefore = Long.parseLong(raw.info("stats", "total_net_output_bytes"));
            TriggerPage first = client.listPage(null, null, null, 1);
            long sent = Long.parseLong(raw.info("stats", "total_net_output_bytes")) - sentBefore;
            // a page's first call, of COUNT 4 at limit 1, is taken whole: HSCAN returns whole buckets, a few triggers
            assertThat(first.triggers().size()).as("triggers of a page of limit 1").isBetween(1, 8);
            assertThat(sent).as("bytes Redis sent for a page of limit 1").isLessThan(2L * MAX_PAGE_BYTES);

            List<String> listed = new ArrayList<>();
            first.triggers().forEach(t -> listed.add(t.id()));
            String cursor = first.cursor();
            while (cursor != null) {
                TriggerPage page = client.listPage(null, null, cursor, 1);
                assertThat(page.triggers().size()).as("triggers of a page of limit 1").isLessThanOrEqualTo(8);
                page.triggers().forEach(t -> listed.add(t.id()));
                cursor = page.cursor();
            }
            assertThat(listed).as("each trigger listed once").hasSize(TRIGGERS).containsExactlyInAnyOrderElementsOf(ids);
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void aKindFilteredListingOverLargeDefinitions_holdsRedisABoundedTimePerCall_andListsTheMatches(
            TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system());
             RawRedis raw = new RawRedis(testRedis.url())) {
            fillLastPartition(client, redis, TestRedis.keys(config));
            String time = client.create(TriggerDefinition.time(System.currentTimeMillis() + 3_600_000).build()).id();
            raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
            raw.call("CONFIG", "SET", "slowlog-max-len", "100000");
            raw.call("SLOWLOG", "RESET");

            List<Trigger> listed = client.list(null, TriggerKind.TIME);

            assertThat(listed).extracting(Trigger::id).containsExactly(time);
            List<Long> micros = new ArrayList<>();
            List<String> calls = new ArrayList<>();
            for (Object entry : (List<?>) raw.call("SLOWLOG", "GET", "-1")) {
                List<?> args = (List<?>) ((List<?>) entry).get(3);
                if (RawRedis.text(args.get(0)).toUpperCase().startsWith("EVAL") && args.size() > 5) {
                    micros.add(((Number) ((List<?>) entry).get(2)).longValue());
                    // EVALSHA sha 1 key cursor COUNT ...
                    calls.add(RawRedis.text(args.get(3)) + " " + RawRedis.text(args.get(4)) + " COUNT "
                            + RawRedis.text(args.get(5)));
                }
            }
            // 1200 definitions of ~50 KB: one call of COUNT 8192 decoded all 60 MB (some 200 ms); now at most 4 MiB
            assertThat(micros).as("Redis time of each trigger_list call (usec): " + calls).isNotEmpty()
                    .allSatisfy(us -> assertThat(us).isLessThan(100_000));
        } finally {
            redis.shutdown();
        }
    }
}
