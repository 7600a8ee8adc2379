package io.tally.processor.internal.transport;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.resp.RespConnector;
import io.tally.common.internal.resp.RespEndpoint;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which connection the hot path takes ({@code hot-path-connection}): with a standalone Redis, one
 * connection of its own that carries both the fast path's reads and the rounds' script pipelines;
 * else the Redisson client (Cluster and Sentinel, where Redisson knows which master holds a slot, or
 * when asked for).
 */
public final class HotPath {
    private static final Logger log = LoggerFactory.getLogger(HotPath.class);
    private final TallyConfig config;

    private HotPath(TallyConfig config) {
        this.config = config;
    }

    /** Everything through the Redisson client. */
    public static HotPath redisson() {
        return new HotPath(null);
    }

    /** The path the configuration asks for; direct only with a standalone Redis. */
    public static HotPath from(TallyConfig config) {
        return new HotPath(config);
    }

    public Clients open(RedissonClient redis, Keys keys, int partitions, String consumer) {
        RespEndpoint direct = config == null ? null
                : RedisClientFactory.hotPathEndpoint(config, "tally-hot:" + consumer).orElse(null);
        if (direct == null) {
            return new Clients(new RedissonStreamReads(redis, keys, partitions, consumer), redis, null);
        }
        RespConnector connector = new RespConnector(direct);
        awaitFirstConnection(connector);
        return new Clients(new RespStreamReads(connector, keys, partitions, consumer), redis, connector);
    }

    /**
     * Waits (at most the reply timeout) for the first connection, so that the first round does not fail
     * for want of one; should it not open, rounds fail as Redis errors until a later attempt does.
     */
    private static void awaitFirstConnection(RespConnector connector) {
        try {
            connector.connection().get(connector.endpoint().timeoutMs(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("direct connection to Redis at {} not open yet ({}); retrying in the background",
                    connector.endpoint(), e.getCause() != null ? e.getCause().toString() : e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The hot path's reads and script pipelines, over the direct connection when there is one. */
    public static final class Clients implements AutoCloseable {
        private final StreamReads reads;
        private final RedissonClient redis;
        private final RespConnector connector;

        private Clients(StreamReads reads, RedissonClient redis, RespConnector connector) {
            this.reads = reads;
            this.redis = redis;
            this.connector = connector;
        }

        public StreamReads reads() {
            return reads;
        }

        /** A new, empty pipeline for one round. */
        public ScriptPipeline pipeline() {
            return connector == null ? new RedissonScriptPipeline(redis) : new RespScriptPipeline(connector);
        }

        @Override
        public void close() {
            if (connector != null) {
                connector.close();
            }
        }
    }
}
