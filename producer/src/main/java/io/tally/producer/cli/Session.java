package io.tally.producer.cli;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.redis.RedisClientFactory;
import io.tally.producer.CounterSeries;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.dlq.DeadLetters;
import io.tally.producer.read.TallyReader;
import io.tally.producer.status.StatusReader;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.concurrent.TimeUnit;

/**
 * One command's connection to a namespace. Read-only commands use {@link #existing} so that a typo
 * in {@code --namespace} is reported instead of creating an empty namespace.
 */
final class Session implements AutoCloseable {
    final TallyConfig config;
    final RedissonClient redis;
    final Keys keys;
    final int partitions;

    private Session(TallyConfig config, RedissonClient redis, Keys keys, int partitions) {
        this.config = config;
        this.redis = redis;
        this.keys = keys;
        this.partitions = partitions;
    }

    /** A session on a namespace that must already exist. */
    static Session existing(TallyConfig config) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            Keys keys = new Keys(config.namespace());
            String stored = redis.<String, String>getMap(keys.meta(), StringCodec.INSTANCE).get("partitions");
            if (stored == null) {
                throw new IllegalStateException("namespace '" + config.namespace() + "' does not exist at "
                        + config.redisUrl() + " (no key " + keys.meta() + "); nothing was written to it yet, "
                        + "or --namespace is wrong");
            }
            int partitions = Integer.parseInt(stored);
            if (config.partitions() > 0 && config.partitions() != partitions) {
                throw new ConfigException("Namespace '" + config.namespace() + "' has " + partitions + " partitions (stored in "
                        + keys.meta() + "), but --partitions " + config.partitions() + " was given; leave it unset or use "
                        + partitions);
            }
            return new Session(config, redis, keys, partitions);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /** A session that creates the namespace on first use, as producers do. */
    static Session opening(TallyConfig config) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            TallyReader reader = TallyReader.open(redis, config);
            return new Session(config, redis, reader.keys(), reader.partitions());
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    TallyReader reader() {
        return new TallyReader(redis, keys, partitions);
    }

    /** Series and unique reads; the windows are this command's {@code series-windows}. */
    CounterSeries series() {
        return CounterSeries.create(redis, keys, partitions, config.get(TallyConfig.SERIES_WINDOWS));
    }

    DeadLetters deadLetters() {
        return new DeadLetters(redis, keys, partitions);
    }

    StatusReader status() {
        return new StatusReader(redis, keys, partitions);
    }

    TallyProducer producer() {
        return TallyProducer.create(redis, config, ProducerMetrics.NOOP);
    }

    @Override
    public void close() {
        redis.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
