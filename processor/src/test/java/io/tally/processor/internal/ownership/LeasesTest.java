package io.tally.processor.internal.ownership;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** lease.lua through {@link Leases} on a real Redis: who may take, keep and give back a partition. */
@ExtendWith(RealRedisExtension.class)
class LeasesTest {
    private static final long TTL = 30_000;
    private RedissonClient client;
    private Keys keys;
    private Leases ours;
    private Leases theirs;

    @BeforeEach
    void setUp(TestRedis redis) {
        client = redis.client();
        keys = new Keys(TestRedis.uniqueNamespace(), PartitionTags.spread(4));
        ours = new Leases(client, keys, "ours:aa", TTL);
        theirs = new Leases(client, keys, "theirs:bb", TTL);
        ours.load();
    }

    @AfterEach
    void tearDown() {
        for (int p = 0; p < 4; p++) {
            client.getBucket(keys.lease(p), StringCodec.INSTANCE).delete();
        }
        client.shutdown();
    }

    @Test
    void aFreeLeaseIsTakenWithTheTtlOnRedisTime() {
        assertThat(ours.acquire(Map.of(0, ""))).containsExactly(0);
        assertThat(ours.owners(4)).containsExactlyEntriesOf(Map.of(0, "ours:aa"));
        assertThat(client.getBucket(keys.lease(0), StringCodec.INSTANCE).remainTimeToLive()).isBetween(TTL - 2_000, TTL);
    }

    @Test
    void aLeaseHeldByAnotherIsTakenOnlyWhenItStillHoldsTheSilentOwnersValue() {
        assertThat(theirs.acquire(Map.of(1, "", 2, ""))).containsExactlyInAnyOrder(1, 2);

        // Not named as silent, or named with a value it no longer holds (it restarted): left alone.
        assertThat(ours.acquire(Map.of(1, ""))).isEmpty();
        assertThat(ours.acquire(Map.of(1, "theirs:old-token"))).isEmpty();
        assertThat(ours.owners(4)).containsEntry(1, "theirs:bb");

        // Named as the silent owner it is: replaced before it expires, and its holder is fenced out.
        assertThat(ours.acquire(Map.of(1, "theirs:bb"))).containsExactly(1);
        assertThat(ours.owners(4)).containsEntry(1, "ours:aa").containsEntry(2, "theirs:bb");
        assertThat(theirs.renew(Set.of(1, 2))).containsExactly(2);
        assertThat(theirs.release(Set.of(1))).isEmpty();
        assertThat(ours.owners(4)).containsEntry(1, "ours:aa");
    }

    @Test
    void ourOwnLeaseIsExtendedAndReleased() {
        assertThat(ours.acquire(Map.of(3, ""))).containsExactly(3);
        assertThat(ours.acquire(Map.of(3, ""))).containsExactly(3);
        assertThat(ours.renew(Set.of(3))).containsExactly(3);
        assertThat(ours.release(Set.of(3))).containsExactly(3);
        assertThat(ours.owners(4)).isEmpty();
        assertThat(ours.renew(Set.of(3))).isEmpty();
    }
}
