package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.producer.read.CounterValue;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link io.tally.producer.read.TallyReader#counters}: the first {@code limit} names of the namespace in order,
 * keeping no more than {@code limit} counters while it scans them all.
 */
@ExtendWith(RealRedisExtension.class)
class CountersByNameTest {
    private static final int PARTITIONS = 4;
    private static final int COUNTERS = 2_500;

    private static RedissonClient redis;
    private static RedisTallyReader reader;

    @BeforeAll
    static void fill(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        redis = testRedis.client();
        reader = RedisTallyReader.open(redis, config);
        Keys keys = Namespace.keys(redis, config.namespace());
        Partitioner partitioner = new Partitioner(PARTITIONS);
        List<Map<String, String>> byPartition = new ArrayList<>();
        IntStream.range(0, PARTITIONS).forEach(p -> byPartition.add(new HashMap<>()));
        for (int i = 0; i < COUNTERS; i++) {
            byPartition.get(partitioner.partitionOf(name(i))).put(name(i), Integer.toString(i));
        }
        for (int p = 0; p < PARTITIONS; p++) {
            redis.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).putAll(byPartition.get(p), 1000);
        }
    }

    @AfterAll
    static void close() {
        redis.shutdown();
    }

    @Test
    void aLimit_returnsTheFirstNamesInOrder_withTheirValuesAndPartitions() {
        List<CounterValue> first = reader.counters(null, 100);

        assertThat(first).extracting(CounterValue::name).containsExactlyElementsOf(names(0, 100));
        assertThat(first).allSatisfy(c -> {
            assertThat(c.value()).isEqualTo(Long.parseLong(c.name().substring(2)));
            assertThat(c.partition()).isEqualTo(reader.partitionOf(c.name()));
            assertThat(c.exists()).isTrue();
        });
    }

    @Test
    void aPrefix_returnsTheFirstNamesItMatches() {
        assertThat(reader.counters("c:1", 50)).extracting(CounterValue::name).containsExactlyElementsOf(names(1000, 1050));
        assertThat(reader.counters("c:24", 1000)).extracting(CounterValue::name).containsExactlyElementsOf(names(2400, 2500));
        assertThat(reader.counters("nothing", 10)).isEmpty();
    }

    @Test
    void aLimitPastTheCount_returnsEveryCounterOnceInOrder() {
        assertThat(reader.counters("", COUNTERS + 1)).extracting(CounterValue::name)
                .containsExactlyElementsOf(names(0, COUNTERS));
    }

    @Test
    void limitZero_returnsNone_andANegativeLimitIsRefusedNamingIt() {
        assertThat(reader.counters(null, 0)).isEmpty();
        assertThatThrownBy(() -> reader.counters(null, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit must be at least 0, got -1");
    }

    @Test
    void firstByName_neverHoldsMoreThanItsLimit_andKeepsARepeatedNameOnce() {
        List<Integer> order = new ArrayList<>(IntStream.range(0, 10_000).boxed().toList());
        Collections.shuffle(order, new Random(7));
        FirstByName first = new FirstByName(100);
        for (int i : order) {
            first.offer(new CounterValue(name(i), 0, i, true));
            assertThat(first.size()).isLessThanOrEqualTo(100);
        }
        first.offer(new CounterValue(name(3), 0, 3, true)); // HSCAN may return a name twice
        assertThat(first.sorted()).extracting(CounterValue::name).containsExactlyElementsOf(names(0, 100));
    }

    /** Four digits, so that names sort as their numbers do. */
    private static String name(int i) {
        return String.format("c:%04d", i);
    }

    private static List<String> names(int from, int to) {
        return IntStream.range(from, to).mapToObj(CountersByNameTest::name).toList();
    }
}
