package io.tally.processor.badinput;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static io.tally.processor.badinput.HostileScripts.LEASE;
import static io.tally.processor.badinput.HostileScripts.PART;
import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * series_retention.lua deletes the keys its index names, and any program may write the index: only
 * names under the partition's own series prefixes (bucket hashes, bucket HyperLogLogs) are deleted;
 * any other member is only dropped from the index.
 */
class SeriesRetentionScopeTest {
    /** A redis-server of the class's own, the partition emptied before each test. */
    @RegisterExtension
    static final HostileScripts h = new HostileScripts();

    private List<?> retain() {
        Object reply = h.runAtomically("series_retention", List.of(h.keys.lease(PART), h.keys.seriesIndex(PART),
                h.keys.seriesPrefix(PART), h.keys.hllBucketPrefix(PART)), LEASE, 100);
        assertThat(reply).as("script reply").isInstanceOf(List.class);
        return (List<?>) reply;
    }

    @Test
    void indexMembersNamingOtherKeys_areDroppedFromTheIndex_andTheKeysKept() {
        String counters = h.keys.counters(PART);
        String otherNamespace = "victim:{" + h.keys.tags().tag(PART) + "}:counters";
        String otherSeries = "victim:{" + h.keys.tags().tag(PART) + "}:series:1m:0";
        h.redis.call("HSET", counters, "c", "42");
        h.redis.call("HSET", otherNamespace, "c", "7");
        h.redis.call("HSET", otherSeries, "c", "3");
        h.redis.call("HSET", h.keys.checkpoint(PART), "ops", "5-0");
        h.redis.call("ZADD", h.keys.seriesIndex(PART), "0", counters, "0", otherNamespace, "0", h.keys.checkpoint(PART),
                "0", otherSeries, "0", h.keys.seriesIndex(PART), "0", h.keys.seriesPrefix(PART));

        List<?> reply = retain();

        assertThat(text(reply.get(1))).as("keys deleted").isEqualTo("0");
        assertThat(text(h.redis.call("HGET", counters, "c"))).as("the partition's counters hash").isEqualTo("42");
        assertThat(text(h.redis.call("HGET", h.keys.checkpoint(PART), "ops"))).as("the checkpoint").isEqualTo("5-0");
        assertThat(text(h.redis.call("HGET", otherNamespace, "c"))).as("another namespace's counters").isEqualTo("7");
        assertThat(text(h.redis.call("HGET", otherSeries, "c"))).as("another namespace's series bucket").isEqualTo("3");
        assertThat(h.redis.call("EXISTS", h.keys.seriesIndex(PART))).as("index, emptied of foreign members").isEqualTo(0L);
    }

    @Test
    void dueBucketHashesAndBucketHyperLogLogs_areDeleted_laterOnesKept() {
        String bucket = h.keys.seriesBucket(PART, "1m", 0);
        String hll = h.keys.hllBucket(PART, "u", "1m", 0);
        String later = h.keys.seriesBucket(PART, "1m", 4_000_000_000_000L);
        String counters = h.keys.counters(PART);
        h.redis.call("HSET", bucket, "c", "1");
        h.redis.call("PFADD", hll, "m");
        h.redis.call("HSET", later, "c", "1");
        h.redis.call("HSET", counters, "c", "1");
        h.redis.call("ZADD", h.keys.seriesIndex(PART), "0", bucket, "0", hll, "0", counters,
                "4000000000000", later);

        List<?> reply = retain();

        assertThat(text(reply.get(1))).as("keys deleted").isEqualTo("2");
        assertThat(h.redis.call("EXISTS", bucket, hll)).isEqualTo(0L);
        assertThat(h.redis.call("EXISTS", later, counters)).isEqualTo(2L);
        assertThat(h.redis.call("ZSCORE", h.keys.seriesIndex(PART), counters)).as("a foreign member, dropped").isNull();
        assertThat(h.redis.call("ZCARD", h.keys.seriesIndex(PART))).as("the bucket not yet due").isEqualTo(1L);
    }
}
