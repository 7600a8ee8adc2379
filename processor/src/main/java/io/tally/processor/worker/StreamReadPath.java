package io.tally.processor.worker;

import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.redis.RedisClientFactory;
import io.tally.common.resp.RespEndpoint;
import org.redisson.api.RedissonClient;

/**
 * Which read path the fast path takes ({@code hot-path-connection}): a direct connection with its own
 * parser to a standalone Redis, or the Redisson client (Cluster, Sentinel, or when asked for).
 */
public final class StreamReadPath {
    private final TallyConfig config;

    private StreamReadPath(TallyConfig config) {
        this.config = config;
    }

    /** Reads through the Redisson client. */
    public static StreamReadPath redisson() {
        return new StreamReadPath(null);
    }

    /** The path the configuration asks for; direct only with a standalone Redis. */
    public static StreamReadPath from(TallyConfig config) {
        return new StreamReadPath(config);
    }

    StreamReads open(RedissonClient redis, Keys keys, int partitions, String consumer) {
        RespEndpoint direct = config == null ? null
                : RedisClientFactory.hotPathEndpoint(config, "tally-reads:" + consumer).orElse(null);
        if (direct == null) {
            return new RedissonStreamReads(redis, keys, partitions, consumer);
        }
        return new RespStreamReads(direct, keys, partitions, consumer);
    }
}
