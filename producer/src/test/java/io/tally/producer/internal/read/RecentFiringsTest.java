package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.Firing;
import io.tally.common.trigger.TriggerKind;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamAddArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(RealRedisExtension.class)
class RecentFiringsTest {
    private RedissonClient redis;
    private Keys keys;
    private RedisTallyReader reader;

    @BeforeEach
    void open(TestRedis testRedis) {
        TallyConfig config = testRedis.config(2).build();
        redis = testRedis.client();
        Namespace.create(redis, config);
        keys = Namespace.keys(redis, config.namespace());
        reader = RedisTallyReader.open(redis, config);
    }

    @AfterEach
    void close() {
        redis.shutdown();
    }

    /** With its own id: streams of different partitions may otherwise get the same id in one millisecond. */
    private String add(int partition, long idMs, Map<String, String> fields) {
        StreamMessageId id = new StreamMessageId(idMs, 0);
        redis.<String, String>getStream(keys.firings(partition), StringCodec.INSTANCE).add(id, StreamAddArgs.entries(fields));
        return id.toString();
    }

    private static Map<String, String> firing(String trigger, String cause) {
        return Map.of("firing_id", trigger + ":" + cause, "trigger", trigger, "kind", "event", "cause", cause,
                "fired_at", "1893456000000", "p.campaign", "spring");
    }

    @Test
    void firingsOfAllPartitions_comeParsed_newestFirst_upToTheLimit() {
        String first = add(0, 1000, firing("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "1-0"));
        String second = add(1, 2000, firing("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", "2-0"));
        String third = add(0, 3000, firing("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "3-0"));

        List<Firing> recent = reader.recentFirings(10);

        assertThat(recent).extracting(Firing::entryId).containsExactly(third, second, first);
        assertThat(recent).extracting(Firing::partition).containsExactly(0, 1, 0);
        Firing f = recent.get(1);
        assertThat(f.firingId()).isEqualTo("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV:2-0");
        assertThat(f.kind()).isEqualTo(TriggerKind.EVENT);
        assertThat(f.firedAt()).isEqualTo(1893456000000L);
        assertThat(f.params()).containsExactly(Map.entry("campaign", "spring"));
        assertThat(reader.recentFirings(2)).extracting(Firing::entryId).containsExactly(third, second);
    }

    @Test
    void entriesThatAreNotFirings_areLeftOut_andTheReadGoesOn() {
        String good = add(0, 1000, firing("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", "1-0"));
        add(0, 2000, Map.of("trigger", "no-firing-id"));
        add(1, 3000, Map.of("firing_id", "x:1", "trigger", "x", "kind", "event", "cause", "1", "fired_at", "yesterday"));
        add(1, 4000, Map.of("firing_id", "x:2", "trigger", "x", "kind", "sometimes", "cause", "2", "fired_at", "1"));
        String alsoGood = add(1, 5000, firing("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", "5-0"));

        assertThat(reader.recentFirings(10)).extracting(Firing::entryId).containsExactly(alsoGood, good);
    }

    @Test
    void theNewestOfAllPartitions_areFound_whenOnePartitionHoldsThemAll_orTheyInterleave() {
        List<String> newer = new ArrayList<>();
        List<String> older = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            older.add(add(1, 1_000 + 2L * i, firing("t1-01ARZ3NDEKTSV4RRFFQ69G5FAV", i + "-1")));
            older.add(add(0, 1_001 + 2L * i, firing("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", i + "-2")));
        }
        for (int i = 0; i < 300; i++) {
            newer.add(add(0, 100_000 + i, firing("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV", i + "-0")));
        }
        Collections.reverse(newer);
        Collections.reverse(older);

        assertThat(reader.recentFirings(100)).extracting(Firing::entryId).containsExactlyElementsOf(newer.subList(0, 100));
        List<String> expected = new ArrayList<>(newer);
        expected.addAll(older.subList(0, 200));
        assertThat(reader.recentFirings(500)).extracting(Firing::entryId).containsExactlyElementsOf(expected);
        assertThat(reader.recentFirings(1000)).hasSize(900);
    }
}
