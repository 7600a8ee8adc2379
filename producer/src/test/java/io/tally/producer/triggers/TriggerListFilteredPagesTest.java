package io.tally.producer.triggers;

import io.tally.common.config.TallyConfig;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A filter that few triggers match: each call of a page returns little, so the page reads on with larger calls
 * (sized by what it received per unit of COUNT so far) instead of sizing every call as if each trigger scanned
 * were returned at the 64 KiB cap. Over 20,000 triggers (80,000 fields) in one partition, {@code status=canceled}
 * matching 1 and {@code kind=time} matching none took 78 pages of limit 1000 each when every call asked for 64
 * fields; now a few.
 */
@ExtendWith(RealRedisExtension.class)
class TriggerListFilteredPagesTest {
    private static final int TRIGGERS = 20_000;

    @Test
    void filtersMatchingFewOf20000Triggers_takeAFewPages(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            Trigger canceled = client.create(TriggerDefinition.event("e").build());
            client.cancel(canceled.id());
            Map<String, String> fields = new HashMap<>();
            for (int i = 1; i < TRIGGERS; i++) {
                String id = String.format("t0-%026d", i);
                fields.put(id, "{\"kind\":\"event\",\"eventType\":\"e" + (i % 50) + "\"}");
                fields.put(id + ":status", "active");
                fields.put(id + ":fireCount", "0");
                fields.put(id + ":createdAt", "1700000000000");
            }
            redis.<String, String>getMap(TestRedis.keys(config).triggers(0), StringCodec.INSTANCE).putAll(fields, 5000);

            List<String> ids = new ArrayList<>();
            assertThat(pages(client, TriggerStatus.CANCELED, null, ids)).as("pages of status=canceled").isLessThanOrEqualTo(3);
            assertThat(ids).containsExactly(canceled.id());
            ids.clear();
            assertThat(pages(client, null, TriggerKind.TIME, ids)).as("pages of kind=time").isLessThanOrEqualTo(3);
            assertThat(ids).isEmpty();
        } finally {
            redis.shutdown();
        }
    }

    private static int pages(TriggerClient client, TriggerStatus status, TriggerKind kind, List<String> ids) {
        String cursor = null;
        int pages = 0;
        do {
            TriggerPage page = client.listPage(status, kind, cursor, 1000);
            page.triggers().forEach(t -> ids.add(t.id()));
            cursor = page.cursor();
            pages++;
        } while (cursor != null && pages < 200);
        return pages;
    }
}
