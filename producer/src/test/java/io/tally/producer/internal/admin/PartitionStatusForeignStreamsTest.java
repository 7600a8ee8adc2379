package io.tally.producer.internal.admin;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.producer.status.PartitionStatus;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * partition_status.lua on input streams another program shaped: an entries-added count set by XSETID far
 * beyond 10^14 (a lag Lua's tostring wrote as "1e+18") and a pending entry whose id lies past 2^63 ms
 * are read as numbers, so that `tally status` and the processor's lag metrics keep working.
 */
@ExtendWith(RealRedisExtension.class)
class PartitionStatusForeignStreamsTest {
    private static RedissonClient redis;
    private static RawRedis raw;
    private static Keys keys;

    @BeforeAll
    static void open(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        redis = testRedis.client();
        raw = new RawRedis(testRedis.url());
        keys = TestRedis.keys(config);
    }

    @AfterAll
    static void close() {
        raw.close();
        redis.shutdown();
    }

    @Test
    void aLagBeyond10To14AndAPendingIdBeyond2To63Ms_areReadAsNumbers() {
        String ops = keys.ops(0);
        String events = keys.events(0);
        raw.reply("XGROUP", "CREATE", ops, Keys.GROUP, "0", "MKSTREAM"); // the namespace may have it
        raw.call("XADD", ops, "5-1", "op", "incr");
        raw.call("XREADGROUP", "GROUP", Keys.GROUP, "w", "STREAMS", ops, ">");
        raw.call("XACK", ops, Keys.GROUP, "5-1");
        raw.call("XSETID", ops, "5-1", "ENTRIESADDED", "1000000000000000000");
        raw.reply("XGROUP", "CREATE", events, Keys.GROUP, "0", "MKSTREAM"); // the namespace may have it
        raw.call("XADD", events, "18446744073709551615-1", "type", "x");
        raw.call("XREADGROUP", "GROUP", Keys.GROUP, "w", "STREAMS", events, ">");

        PartitionStatus status = new PartitionStatusReader(redis, keys, 1).read().partitions().get(0);

        // 10^18 - 1 in Redis; a Lua number (a double) holds about 16 digits of it
        assertThat(status.ops().lag()).isBetween(999_999_999_999_990_000L, 1_000_000_000_000_000_000L);
        assertThat(status.ops().length()).isEqualTo(1);
        assertThat(status.events().pending()).isEqualTo(1);
        assertThat(status.events().oldestPendingAgeMs()).as("an id ahead of Redis time is pending for 0 ms").isZero();
    }
}
