package io.tally.producer;

import io.tally.common.NamespaceMissingException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.dlq.DeadLetters;
import io.tally.producer.firings.FiringHandler;
import io.tally.producer.firings.FiringsConsumer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.admin.RedisDeadLetters;
import io.tally.producer.internal.admin.RedisStatusReader;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.producer.internal.triggers.RedisFiringsConsumer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.read.TallyReader;
import io.tally.producer.status.StatusReader;
import io.tally.producer.triggers.TriggerClient;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The way into a Tally namespace from an application: one Redis client, and the producer, reader,
 * trigger client, firings consumers, dead letters and status that share it.
 *
 * <pre>{@code
 * try (Tally tally = Tally.connect(TallyConfig.fromEnv(System.getenv()))) {
 *     tally.producer().send(CounterOp.incr("orders", 1).withId("order-42"));
 *     long orders = tally.reader().counter("orders").value();
 * }
 * }</pre>
 *
 * <p>{@link #connect} opens the Redis client and the namespace, which a processor or {@code tally init}
 * creates; everything else is made on first use and handed out again on every call. {@link #close()}
 * stops the firings consumers started here, flushes and closes the producer, then closes the Redis
 * client, each even when an earlier one fails: close the {@code Tally}, not the parts it handed out.
 * Thread-safe.
 */
public final class Tally implements AutoCloseable {
    private final RedissonClient redis;
    private final TallyConfig config;
    private final ProducerMetrics metrics;
    private final Keys keys;
    private final int partitions;
    private final List<FiringsConsumer> consumers = new ArrayList<>();
    private TallyProducer producer;
    private RedisTallyReader reader;
    private TriggerClient triggers;
    private DeadLetters deadLetters;
    private StatusReader status;
    private boolean closed;

    private Tally(RedissonClient redis, TallyConfig config, ProducerMetrics metrics) {
        this.redis = redis;
        this.config = config;
        this.metrics = metrics;
        Namespace ns = Namespace.await(redis, config, config.get(TallyConfig.SEND_TIMEOUT_MS));
        this.keys = ns.keys();
        this.partitions = ns.partitions();
    }

    /**
     * Connects to the configured Redis and namespace, reporting nothing about sends.
     *
     * @param config the configuration ({@code redis-url}, {@code namespace}, the producer's settings, ...)
     * @return the connection; close it when done
     * @throws NamespaceMissingException when the namespace does not exist within {@code send-timeout-ms}
     * @throws io.tally.common.config.ConfigException when the namespace has another partition count than
     *                                                 a configured {@code partitions}
     */
    public static Tally connect(TallyConfig config) {
        return connect(config, ProducerMetrics.NOOP);
    }

    /**
     * Connects to the configured Redis and namespace; the producer reports its sends to {@code metrics}.
     *
     * @param config  the configuration
     * @param metrics told of every send and pipeline, e.g. a
     *                {@link io.tally.producer.metrics.MicrometerProducerMetrics}
     * @return the connection; close it when done
     * @throws NamespaceMissingException when the namespace does not exist within {@code send-timeout-ms}
     * @throws io.tally.common.config.ConfigException when the namespace has another partition count than
     *                                                 a configured {@code partitions}
     */
    public static Tally connect(TallyConfig config, ProducerMetrics metrics) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return new Tally(redis, config, metrics);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /**
     * The namespace this connection works on.
     *
     * @return the namespace's name
     */
    public String namespace() {
        return keys.namespace();
    }

    /**
     * The namespace's partition count.
     *
     * @return P
     */
    public int partitions() {
        return partitions;
    }

    /**
     * The producer, which sends counter operations and events. The first call checks the Redis
     * version and starts the producer's sender thread.
     *
     * @return the one producer of this connection
     * @throws io.tally.common.config.ConfigException when a master runs a Redis older than 7.0
     */
    public synchronized TallyProducer producer() {
        requireOpen();
        if (producer == null) {
            producer = RedisTallyProducer.create(redis, false, config, metrics);
        }
        return producer;
    }

    /**
     * The reader of counters, checkpoints, series, unique counts and recent firings.
     *
     * @return the one reader of this connection
     */
    public synchronized TallyReader reader() {
        requireOpen();
        if (reader == null) {
            reader = new RedisTallyReader(redis, keys, partitions, config.get(TallyConfig.SERIES_WINDOWS));
        }
        return reader;
    }

    /**
     * The trigger client, which creates, lists and cancels triggers.
     *
     * @return the one trigger client of this connection
     */
    public synchronized TriggerClient triggers() {
        requireOpen();
        if (triggers == null) {
            triggers = RedisTriggerClient.create(redis, config, InstantSource.system());
        }
        return triggers;
    }

    /**
     * Starts building a consumer of the namespace's firings in consumer group {@code group}; the
     * consumer is stopped by {@link #close()} if not before.
     *
     * @param group   the consumer group, shared by the consumers that split its work; not {@code tally}
     * @param handler run for each firing
     * @return the builder; its {@code start()} starts the consumer
     * @throws IllegalArgumentException when the group is blank or {@code tally}
     */
    public FiringsConsumer.Builder firings(String group, FiringHandler handler) {
        requireOpen();
        return new TrackedBuilder(RedisFiringsConsumer.builder(redis, config, group, handler));
    }

    /**
     * The dead letters: entries the processors could not apply, to list, replay or purge.
     *
     * @return the dead letters of this connection's namespace
     */
    public synchronized DeadLetters deadLetters() {
        requireOpen();
        if (deadLetters == null) {
            deadLetters = new RedisDeadLetters(redis, keys, partitions);
        }
        return deadLetters;
    }

    /**
     * The namespace's status: partitions, owners, lag, dead letters, halts and processors.
     *
     * @return the status reader of this connection's namespace
     */
    public synchronized StatusReader status() {
        requireOpen();
        if (status == null) {
            status = new RedisStatusReader(redis, keys, partitions);
        }
        return status;
    }

    /**
     * Stops the firings consumers started here, flushes and closes the producer, closes the trigger client,
     * then closes the Redis client. Every part is closed even when closing one fails; the first failure is
     * then thrown, with the later ones added to it as suppressed. Calls after the first do nothing.
     */
    @Override
    public void close() {
        List<FiringsConsumer> started;
        TallyProducer startedProducer;
        TriggerClient startedTriggers;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            started = List.copyOf(consumers);
            startedProducer = producer;
            startedTriggers = triggers;
        }
        Throwable failure = null;
        for (FiringsConsumer consumer : started) {
            failure = closePart(failure, consumer::close);
        }
        if (startedProducer != null) {
            failure = closePart(failure, startedProducer::close);
        }
        if (startedTriggers != null) {
            failure = closePart(failure, startedTriggers::close);
        }
        failure = closePart(failure, () -> redis.shutdown(0, 2, TimeUnit.SECONDS));
        if (failure instanceof Error error) {
            throw error;
        }
        if (failure != null) {
            throw (RuntimeException) failure;
        }
    }

    /**
     * Closes one part; returns the first failure of the close so far ({@code first}, or this part's when
     * none before), a later one added to it as suppressed. Nothing here throws a checked exception.
     */
    private static Throwable closePart(Throwable first, Runnable close) {
        try {
            close.run();
            return first;
        } catch (RuntimeException | Error e) {
            if (first == null) {
                return e;
            }
            if (e != first) {
                first.addSuppressed(e);
            }
            return first;
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this Tally connection is closed");
        }
    }

    /** Keeps a started consumer so that {@link #close()} stops it; stops it at once when closed. */
    synchronized FiringsConsumer started(FiringsConsumer consumer) {
        if (closed) {
            consumer.close();
            throw new IllegalStateException("this Tally connection is closed");
        }
        consumers.add(consumer);
        return consumer;
    }

    /** Keeps the consumers it starts, so that {@link #close()} stops them before the client. */
    private final class TrackedBuilder implements FiringsConsumer.Builder {
        private final FiringsConsumer.Builder builder;

        TrackedBuilder(FiringsConsumer.Builder builder) {
            this.builder = builder;
        }

        @Override
        public FiringsConsumer.Builder consumerName(String name) {
            builder.consumerName(name);
            return this;
        }

        @Override
        public FiringsConsumer.Builder maxDeliveries(int n) {
            builder.maxDeliveries(n);
            return this;
        }

        @Override
        public FiringsConsumer.Builder claimIdle(Duration d) {
            builder.claimIdle(d);
            return this;
        }

        @Override
        public FiringsConsumer.Builder batchSize(int n) {
            builder.batchSize(n);
            return this;
        }

        @Override
        public FiringsConsumer.Builder pollInterval(Duration d) {
            builder.pollInterval(d);
            return this;
        }

        @Override
        public FiringsConsumer start() {
            return started(builder.start());
        }
    }
}
