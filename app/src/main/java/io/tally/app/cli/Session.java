package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.admin.RedisDeadLetters;
import io.tally.producer.internal.admin.RedisStatusReader;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.read.TallyReader;
import io.tally.producer.status.StatusReader;
import io.tally.app.cli.EvictionCheck.Access;
import org.redisson.api.RedissonClient;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One command's connection to a namespace. No command creates a namespace (only a processor and
 * {@code tally init} do): read-only commands use {@link #existing}, so that a typo in
 * {@code --namespace} is reported; commands that write use {@link #awaiting}, which gives a
 * processor starting alongside up to {@code send-timeout-ms} to create it.
 */
final class Session implements AutoCloseable {
    final TallyConfig config;
    final RedissonClient redis;
    final Keys keys;
    final int partitions;
    /** Where the namespace's producers keep operation ids. */
    final DedupeLayout dedupeLayout;

    private Session(TallyConfig config, RedissonClient redis, Namespace ns) {
        this.config = config;
        this.redis = redis;
        this.keys = ns.keys();
        this.partitions = ns.partitions();
        this.dedupeLayout = ns.dedupeLayout();
    }

    /**
     * A session on a namespace that must already exist, for {@code command}, which reads or writes
     * ({@link EvictionCheck}: a writer is refused, a reader warned, on a Redis that may evict keys).
     */
    static Session existing(TallyConfig config, Access access, CommandSpec command) {
        return open(config, access, command, redis -> Namespace.open(redis, config));
    }

    /** A session on a namespace that exists or appears within {@code send-timeout-ms}. */
    static Session awaiting(TallyConfig config, Access access, CommandSpec command) {
        return open(config, access, command,
                redis -> Namespace.await(redis, config, config.get(TallyConfig.SEND_TIMEOUT_MS)));
    }

    private static Session open(TallyConfig config, Access access, CommandSpec command,
                                Function<RedissonClient, Namespace> namespace) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            Namespace ns = namespace.apply(redis);
            EvictionCheck.check(redis, config, access, command.qualifiedName(), command.commandLine().getErr());
            return new Session(config, redis, ns);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    TallyReader reader() {
        return new RedisTallyReader(redis, keys, partitions, config.get(TallyConfig.SERIES_WINDOWS));
    }

    /** Series and unique reads; the windows are this command's {@code series-windows}. */
    CounterSeries series() {
        return CounterSeries.create(redis, keys, partitions, config.get(TallyConfig.SERIES_WINDOWS));
    }

    RedisDeadLetters deadLetters() {
        return new RedisDeadLetters(redis, keys, partitions);
    }

    StatusReader status() {
        return new RedisStatusReader(redis, keys, partitions);
    }

    TallyProducer producer() {
        return RedisTallyProducer.create(redis, false, config, ProducerMetrics.NOOP);
    }

    @Override
    public void close() {
        redis.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
