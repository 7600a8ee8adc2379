package io.tally.producer.internal.read;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RBatch;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@link io.tally.producer.read.TallyReader#uniqueUnion} of many counters on several partitions: up to the
 * limit (a bound on the work of one call) the union is counted, exactly as PFCOUNT of all the keys, and nothing
 * is written to Redis; past it the call is refused before anything is read.
 */
@ExtendWith(RealRedisExtension.class)
class UniqueUnionManyCountersTest {
    private static final int PARTITIONS = 4;
    private static final int COUNTERS = 9_000;

    private static RedissonClient redis;
    private static RedisTallyReader reader;
    private static Keys keys;

    @BeforeAll
    static void fill(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        redis = testRedis.client();
        reader = RedisTallyReader.open(redis, config);
        keys = Namespace.keys(redis, config.namespace());
        Partitioner partitioner = new Partitioner(PARTITIONS);
        RBatch batch = redis.createBatch();
        for (int i = 0; i < COUNTERS; i++) {
            String counter = "u:" + i;
            // counter i holds members i and i + 1: the union holds COUNTERS + 1 members
            batch.getHyperLogLog(keys.hll(partitioner.partitionOf(counter), counter), StringCodec.INSTANCE)
                    .addAllAsync(List.of("m" + i, "m" + (i + 1)));
        }
        batch.execute();
    }

    @AfterAll
    static void close() {
        redis.shutdown();
    }

    @Test
    void theUnionOf5000CountersOnFourPartitions_isPfcountOfAllTheirKeys_andWritesNothing() {
        List<String> counters = counters(CounterSeries.MAX_UNION_ACROSS_PARTITIONS);
        long keysBefore = namespaceKeys();

        long unique = reader.uniqueUnion(counters);

        int members = CounterSeries.MAX_UNION_ACROSS_PARTITIONS + 1;
        assertThat((double) unique).isCloseTo(members, within(members * 0.03));
        // one redis-server: PFCOUNT of keys of every partition at once is Redis's own answer
        Partitioner partitioner = new Partitioner(PARTITIONS);
        String[] hlls = counters.stream().map(c -> keys.hll(partitioner.partitionOf(c), c)).toArray(String[]::new);
        long pfcount = redis.getHyperLogLog(hlls[0], StringCodec.INSTANCE)
                .countWith(Arrays.copyOfRange(hlls, 1, hlls.length));
        assertThat(unique).isEqualTo(pfcount);
        assertThat(namespaceKeys()).isEqualTo(keysBefore);
    }

    @Test
    void moreCountersOnSeveralPartitions_areRefusedWithTheLimit_andNothingIsWritten() {
        long keysBefore = namespaceKeys();

        assertThatThrownBy(() -> reader.uniqueUnion(counters(COUNTERS)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("9000 counters on 4 partitions, more than 5000 a union of more than a few counters counts; "
                        + "ask for fewer counters");
        assertThat(namespaceKeys()).isEqualTo(keysBefore);
    }

    private static List<String> counters(int n) {
        List<String> counters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            counters.add("u:" + i);
        }
        return counters;
    }

    private static long namespaceKeys() {
        return redis.getKeys().getKeysStreamByPattern(keys.namespace() + ":*").count();
    }
}
