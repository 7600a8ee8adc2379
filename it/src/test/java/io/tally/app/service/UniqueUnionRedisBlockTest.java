package io.tally.app.service;

import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RawRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.RBatch;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/unique} of the 1000 counters it allows, each with a dense HyperLogLog: the union is merged in
 * the service (DESIGN.md: unions across partitions are merged client-side), so Redis answers only STRLEN and GET,
 * no command of it blocking Redis for long. Before, one hll_union.lua call SET 1000 × 12 KB into scratch keys and
 * PFCOUNTed them, blocking Redis for every processor and sender ~40-55 ms; and 1000 counters picked on one
 * partition (the partitioner is public) still went to one PFCOUNT of them all, 18 ms.
 */
class UniqueUnionRedisBlockTest {
    private static final int COUNTERS = 1000;
    private static final int PARTITIONS = 16;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(PARTITIONS);

    @Test
    void aUnionOfTheMostCountersAllowed_blocksRedisNoLongerThan10msAtATime() throws Exception {
        assertUnionBlocksRedisLessThan10ms("a", p -> true);
    }

    @Test
    void aUnionOfTheMostCountersAllowed_onOnePartition_blocksRedisNoLongerThan10msAtATime() throws Exception {
        assertUnionBlocksRedisLessThan10ms("b", p -> p == 0);
    }

    /** Unions {@value #COUNTERS} counters named {@code prefix...} on the partitions {@code on} accepts. */
    private static void assertUnionBlocksRedisLessThan10ms(String prefix, IntPredicate on) throws Exception {
        String seed = api.keys().hll(0, prefix + "-seed");
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            members.add("m" + i);
        }
        api.redis().<String>getHyperLogLog(seed, StringCodec.INSTANCE).addAll(members);
        byte[] dense = (byte[]) api.redis().getBucket(seed, ByteArrayCodec.INSTANCE).get();
        assertThat(dense).as("dense HyperLogLog").hasSize(12_304);
        Partitioner partitioner = new Partitioner(PARTITIONS);
        RBatch batch = api.redis().createBatch();
        StringBuilder names = new StringBuilder();
        int found = 0;
        for (int i = 0; found < COUNTERS; i++) {
            String name = prefix + Integer.toString(i, 36); // short: the query must fit Jetty's 8 KiB of request head
            int p = partitioner.partitionOf(name);
            if (!on.test(p)) {
                continue;
            }
            batch.getBucket(api.keys().hll(p, name), ByteArrayCodec.INSTANCE).setAsync(dense);
            names.append(found++ == 0 ? "" : ",").append(name);
        }
        batch.execute();
        try (RawRedis raw = new RawRedis(api.redisServer().url())) {
            raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
            raw.call("SLOWLOG", "RESET");
            HttpResponse<String> r = api.get("/v1/unique?counters=" + names);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            // every counter holds the same HyperLogLog: the union is its own count
            long alone = api.redis().getHyperLogLog(seed, StringCodec.INSTANCE).count();
            assertThat(r.body()).contains("\"unique\":" + alone);
            SlowestCommand slowest = SlowestCommand.of(raw);
            assertThat(slowest.micros()).as("longest single Redis command, µs: %s", slowest).isLessThan(10_000);
        }
    }
}
