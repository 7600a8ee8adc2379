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
 * {@code GET /v1/unique} of the 1000 counters it allows, each with a dense HyperLogLog, all chosen on one partition
 * (the partitioner is public: a token holder finds such names offline in a moment). {@link UniqueUnionRedisBlockTest}
 * covers the union across partitions, merged in the service; on one partition the union is one PFCOUNT of every key,
 * which merges 1000 × 16,384 registers inside Redis, blocking it for every processor and sender.
 */
class UniqueUnionOnePartitionBlockTest {
    private static final int COUNTERS = 1000;
    private static final int PARTITIONS = 16;

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(PARTITIONS);

    @Test
    void aUnionOfTheMostCountersAllowed_onOnePartition_blocksRedisNoLongerThan10msAtATime() throws Exception {
        String seed = api.keys().hll(0, "seed");
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
            String name = "c" + Integer.toString(i, 36); // short: the query must fit Jetty's 8 KiB of request head
            if (partitioner.partitionOf(name) != 0) {
                continue;
            }
            batch.getBucket(api.keys().hll(0, name), ByteArrayCodec.INSTANCE).setAsync(dense);
            names.append(found++ == 0 ? "" : ",").append(name);
        }
        batch.execute();
        try (RawRedis raw = new RawRedis(api.redisServer().url())) {
            raw.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
            raw.call("SLOWLOG", "RESET");
            HttpResponse<String> r = api.get("/v1/unique?counters=" + names);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            long alone = api.redis().getHyperLogLog(seed, StringCodec.INSTANCE).count();
            assertThat(r.body()).contains("\"unique\":" + alone);
            SlowestCommand slowest = SlowestCommand.of(raw);
            assertThat(slowest.micros()).as("longest single Redis command, µs: %s", slowest).isLessThan(10_000);
        }
    }
}
