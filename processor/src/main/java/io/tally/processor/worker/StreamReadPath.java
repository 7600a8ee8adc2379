package io.tally.processor.worker;

import io.tally.common.config.FastPathReads;
import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.redis.RedisClientFactory;
import io.tally.common.redis.RedisClientFactory.RedisAddress;
import io.tally.processor.resp.RespEndpoint;
import org.redisson.api.RedissonClient;

/**
 * Which read path the fast path takes ({@code fast-path-reads}): a direct connection with its own parser
 * to a standalone Redis, or the Redisson client (Cluster, Sentinel, or when asked for).
 */
public final class StreamReadPath {
    private final RespEndpoint direct;

    private StreamReadPath(RespEndpoint direct) {
        this.direct = direct;
    }

    /** Reads through the Redisson client. */
    public static StreamReadPath redisson() {
        return new StreamReadPath(null);
    }

    /** The path the configuration asks for; direct only with a standalone Redis. */
    public static StreamReadPath from(TallyConfig config) {
        if (config.get(TallyConfig.FAST_PATH_READS) != FastPathReads.DIRECT
                || config.get(TallyConfig.REDIS_MODE) != RedisMode.STANDALONE) {
            return redisson();
        }
        RedisAddress address = RedisClientFactory.parseSeeds(config.redisUrl()).get(0);
        return new StreamReadPath(new RespEndpoint(address.host(), address.port(),
                address.tls() ? RedisClientFactory.tlsSocketFactory(config) : null, address.user(),
                config.redisPassword(), config.get(TallyConfig.REDIS_TIMEOUT_MS), null));
    }

    /** Whether reads go over a direct connection. */
    public boolean isDirect() {
        return direct != null;
    }

    StreamReads open(RedissonClient redis, Keys keys, int partitions, String consumer) {
        if (direct == null) {
            return new RedissonStreamReads(redis, keys, partitions, consumer);
        }
        RespEndpoint named = new RespEndpoint(direct.host(), direct.port(), direct.tls(), direct.user(),
                direct.password(), direct.timeoutMs(), "tally-reads:" + consumer);
        return new RespStreamReads(named, keys, partitions, consumer);
    }
}
