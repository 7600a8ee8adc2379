package io.tally.common.internal.redis;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.codec.StringCodec;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The start-up check on the Redis version. No Redis older than 7.0 can be started here, so the refusal
 * is shown on the decision function with the versions an old server reports, and the acceptance on a
 * real redis-server.
 */
@ExtendWith(RealRedisExtension.class)
class RedisVersionTest {

    @Test
    void parse_readsMajorMinorPatchAndIgnoresASuffix() {
        assertThat(RedisVersion.parse("6.0.16")).isEqualTo(new RedisVersion(6, 0, 16));
        assertThat(RedisVersion.parse("7.2.4")).isEqualTo(new RedisVersion(7, 2, 4));
        assertThat(RedisVersion.parse("8.0")).isEqualTo(new RedisVersion(8, 0, 0));
        assertThat(RedisVersion.parse("7.4.0-rc1")).isEqualTo(new RedisVersion(7, 4, 0));
        assertThat(RedisVersion.parse(" 255.255.255\r")).isEqualTo(new RedisVersion(255, 255, 255));
    }

    @Test
    void parse_refusesWhatIsNotAVersion() {
        assertThatThrownBy(() -> RedisVersion.parse("seven")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a Redis version: 'seven'");
        assertThatThrownBy(() -> RedisVersion.parse("7")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RedisVersion.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void atLeast_comparesMajorThenMinorNumerically() {
        assertThat(RedisVersion.parse("6.0.16").atLeast(6, 2)).isFalse();
        assertThat(RedisVersion.parse("6.2.0").atLeast(6, 2)).isTrue();
        assertThat(RedisVersion.parse("6.10.0").atLeast(6, 9)).isTrue(); // numbers, not text
        assertThat(RedisVersion.parse("6.2.14").atLeast(7, 0)).isFalse();
        assertThat(RedisVersion.parse("7.0.15").atLeast(7, 0)).isTrue();
        assertThat(RedisVersion.parse("10.0.0").atLeast(7, 0)).isTrue();
    }

    @Test
    void refusal_namesTheVersionTheServerAndWhatTallyNeeds() {
        assertThat(RedisVersion.refusal("6.0.16", "redis://10.0.0.5:6379")).isEqualTo(
                "Redis 6.0.16 at redis://10.0.0.5:6379: Tally needs Redis 7.0 or newer "
                        + "(SET NX GET, XINFO GROUPS lag); upgrade Redis");
        assertThat(RedisVersion.refusal("6.2.14", "rediss://cache:6380")).isEqualTo(
                "Redis 6.2.14 at rediss://cache:6380: Tally needs Redis 7.0 or newer "
                        + "(SET NX GET, XINFO GROUPS lag); upgrade Redis");
        assertThat(RedisVersion.refusal("null", "redis://h:1")).isEqualTo(
                "Redis at redis://h:1 reports redis_version 'null': Tally needs Redis 7.0 or newer "
                        + "(SET NX GET, XINFO GROUPS lag); check the server");
    }

    @Test
    void refusal_acceptsSevenAndLater() {
        assertThat(RedisVersion.refusal("7.0.0", "redis://h:1")).isNull();
        assertThat(RedisVersion.refusal("7.0.15", "redis://h:1")).isNull();
        assertThat(RedisVersion.refusal("7.2.4", "redis://h:1")).isNull(); // what Valkey 7.2 and 8 report
        assertThat(RedisVersion.refusal("8.0.2", "redis://h:1")).isNull();
    }

    @Test
    void requireSupported_acceptsTheRealRedisItReadsTheVersionOf(TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            String reported = redis.getRedisNodes(RedisNodes.SINGLE).getInstance()
                    .info(RedisNode.InfoSection.SERVER).get("redis_version");
            assertThat(RedisVersion.parse(reported).atLeast(7, 0)).as("redis-server %s", reported).isTrue();

            TallyConfig config = testRedis.config(4).build();
            assertThatCode(() -> RedisVersion.requireSupported(redis, config)).doesNotThrowAnyException();
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void requireSupported_throwsAConfigExceptionForTheInfoOfAnOldServer() {
        // INFO server of Redis 6.0 and 6.2, as Redisson hands it over
        assertThatThrownBy(() -> RedisVersion.requireSupported(
                Map.of("redis_version", "6.0.16", "redis_mode", "standalone"), "redis://old:6379"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Redis 6.0.16 at redis://old:6379: Tally needs Redis 7.0 or newer "
                        + "(SET NX GET, XINFO GROUPS lag); upgrade Redis");
        assertThatThrownBy(() -> RedisVersion.requireSupported(Map.of("redis_version", "6.2.14"), "redis://old:6379"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Redis 6.2.14 at redis://old:6379:");
        assertThatThrownBy(() -> RedisVersion.requireSupported(Map.of(), "redis://odd:6379"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("reports redis_version 'null'");
    }

    @Test
    void refusalOfScript_namesAServerWithoutRedisVersionInLuaAsOlderThanSeven() {
        assertThat(RedisVersion.refusalOfScript("", "redis://old:6379 (the master of partition 3)")).isEqualTo(
                "Redis older than 7.0 at redis://old:6379 (the master of partition 3): Tally needs Redis 7.0 or newer "
                        + "(SET NX GET, XINFO GROUPS lag); upgrade Redis");
        assertThat(RedisVersion.refusalOfScript(null, "x")).startsWith("Redis older than 7.0 at x:");
        assertThat(RedisVersion.refusalOfScript("7.0.15", "x")).isNull();
    }

    @Test
    void requireSupportedThroughTheScript_asksEveryPartitionsMasterAndAcceptsARealRedis(TestRedis testRedis) {
        RedissonClient redis = testRedis.client();
        try {
            TallyConfig config = testRedis.config(4).build();
            Namespace ns = Namespace.create(redis, config);
            String reported = redis.getRedisNodes(RedisNodes.SINGLE).getInstance()
                    .info(RedisNode.InfoSection.SERVER).get("redis_version");
            // what the script returns is the version INFO reports, so the two checks agree
            String fromLua = redis.getScript(StringCodec.INSTANCE).eval(
                    RScript.Mode.READ_ONLY, "return redis.REDIS_VERSION or ''",
                    RScript.ReturnType.VALUE, List.of(ns.keys().ops(0)));
            assertThat(fromLua).isEqualTo(reported);

            assertThatCode(() -> RedisVersion.requireSupported(redis, ns, config)).doesNotThrowAnyException();
        } finally {
            redis.shutdown();
        }
    }
}
