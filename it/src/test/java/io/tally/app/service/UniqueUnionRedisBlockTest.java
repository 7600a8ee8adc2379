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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /v1/unique} of the 1000 counters it allows, each with a dense HyperLogLog, across partitions: the
 * union is merged in the service (DESIGN.md: unions across partitions are merged client-side), so Redis answers
 * only STRLEN and GET, no command of it blocking Redis for long. Before, one hll_union.lua call SET 1000 × 12 KB
 * into scratch keys and PFCOUNTed them, blocking Redis for every processor and sender ~40-55 ms.
 */
class UniqueUnionRedisBlockTest {
    private static final int COUNTERS = 1000;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(16);

    @Test
    void aUnionOfTheMostCountersAllowed_blocksRedisNoLongerThan10msAtATime() throws Exception {
        String seed = api.keys().hll(0, "seed");
        List<String> members = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            members.add("m" + i);
        }
        api.redis().<String>getHyperLogLog(seed, StringCodec.INSTANCE).addAll(members);
        byte[] dense = (byte[]) api.redis().getBucket(seed, ByteArrayCodec.INSTANCE).get();
        assertThat(dense).as("dense HyperLogLog").hasSize(12_304);
        Partitioner partitioner = new Partitioner(16);
        RBatch batch = api.redis().createBatch();
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < COUNTERS; i++) {
            String name = "c" + i;
            batch.getBucket(api.keys().hll(partitioner.partitionOf(name), name), ByteArrayCodec.INSTANCE).setAsync(dense);
            names.append(i == 0 ? "" : ",").append(name);
        }
        batch.execute();
        try (RawRedis raw = new RawRedis(api.testRedis().url())) {
            raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
            raw.call("SLOWLOG", "RESET");
            try {
                HttpResponse<String> r = api.get("/v1/unique?counters=" + names);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                // every counter holds the same HyperLogLog: the union is its own count
                long alone = api.redis().getHyperLogLog(seed, StringCodec.INSTANCE).count();
                assertThat(r.body()).contains("\"unique\":" + alone);

                long longestMicros = 0;
                for (Object entry : (List<?>) raw.call("SLOWLOG", "GET", "-1")) {
                    longestMicros = Math.max(longestMicros, ((Number) ((List<?>) entry).get(2)).longValue());
                }
                assertThat(longestMicros).as("longest single Redis command, µs").isLessThan(10_000);
            } finally {
                raw.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
            }
        }
    }
}
