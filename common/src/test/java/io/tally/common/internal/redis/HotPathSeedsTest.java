package io.tally.common.internal.redis;

import io.tally.common.config.HotPathConnection;
import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.resp.RespEndpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HotPathSeedsTest {
    private static TallyConfig.Builder cluster() {
        return TallyConfig.builder().env(Map.of("TALLY_REDIS_PASSWORD", "s3cret"))
                .set(TallyConfig.REDIS_URL, "rediss://app@h1:7000, rediss://app@h2:7001")
                .set(TallyConfig.REDIS_MODE, RedisMode.CLUSTER);
    }

    @Test
    void clusterWithDirectHotPathSeedsEveryUrlWithTheClientsCredentials() {
        List<RespEndpoint> seeds = RedisClientFactory.hotPathClusterSeeds(cluster().build(), "tally-hot:p1").orElseThrow();
        assertThat(seeds).extracting(RespEndpoint::host, RespEndpoint::port)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("h1", 7000), org.assertj.core.groups.Tuple.tuple("h2", 7001));
        for (RespEndpoint seed : seeds) {
            assertThat(seed.tls()).isNotNull();
            assertThat(seed.user()).isEqualTo("app");
            assertThat(seed.password()).isEqualTo("s3cret");
            assertThat(seed.clientName()).isEqualTo("tally-hot:p1");
        }
        RespEndpoint other = seeds.get(0).at("10.0.0.9", 7005);
        assertThat(other.tls()).isSameAs(seeds.get(0).tls());
        assertThat(other.password()).isEqualTo("s3cret");
        assertThat(other.toString()).isEqualTo("rediss://app@10.0.0.9:7005");
        assertThat(RedisClientFactory.hotPathEndpoint(cluster().build(), "x")).isEmpty();
    }

    @Test
    void redissonHotPathOrAnotherModeHasNoClusterSeeds() {
        assertThat(RedisClientFactory.hotPathClusterSeeds(
                cluster().set(TallyConfig.HOT_PATH_CONNECTION, HotPathConnection.REDISSON).build(), "x")).isEmpty();
        assertThat(RedisClientFactory.hotPathClusterSeeds(TallyConfig.builder().build(), "x")).isEmpty();
    }
}
