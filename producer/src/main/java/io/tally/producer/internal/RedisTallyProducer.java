package io.tally.producer.internal;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.series.SeriesWindows;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import org.redisson.api.RedissonClient;
import org.redisson.command.CommandAsyncExecutor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link TallyProducer} on Redisson. Sends are encoded to bytes on the caller's thread; one sender
 * thread turns each lane's queue into pipelines ({@link SendPipeline}: one append_runs.lua call per
 * stream, written to the producer's own connections with a standalone Redis or a Cluster and acks=leader,
 * else on Redisson's batch executor, never retried by the client itself); completions run on the connection's
 * reader thread (or Redisson's), a stream's sends in one pass, and wake the sender. With
 * producer-idempotence (the default) each stream's sends are numbered in the producer's session
 * ({@link StreamSequences}), so the producer sends again after a lost reply, with the same numbers, and
 * the script drops what it already wrote.
 *
 * <p>This class wires the parts and runs their lifecycle: {@link SendAccumulator} admits and queues
 * sends, {@link SenderLoop} sends them, {@link SendCompletion} completes them from the replies, and
 * {@link SendErrors} classifies the failures.
 */
public final class RedisTallyProducer implements TallyProducer {
    private final RedissonClient redis;
    private final boolean ownsClient;
    private final StreamKeys streamKeys;
    private final Partitioner partitioner;
    private final BacklogMonitor backlog;
    private final NamespaceWatch namespace;
    /** The producer's own connections for appends; null: Redisson pipelines (Sentinel, acks=replicas). */
    private final DirectConnection direct;
    /** Null when producer-idempotence is off. */
    private final ProducerSessions sessions;
    private final SendAccumulator accumulator;
    /** The windows a send may name ({@code series-windows}): the processors dead-letter any other. */
    private final SeriesWindows windows;
    private final SenderLoop sender;

    private RedisTallyProducer(RedissonClient redis, boolean ownsClient, TallyConfig config, ProducerMetrics metrics) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        CommandAsyncExecutor executor = RedissonSendPipeline.executorOf(redis);
        Namespace ns = Namespace.await(redis, config, config.get(TallyConfig.SEND_TIMEOUT_MS));
        RedisVersion.requireSupported(redis, ns, config);
        Keys keys = ns.keys();
        this.partitioner = ns.partitioner();
        long dedupeWindowMs = config.get(TallyConfig.DEDUPE_WINDOW_MS);
        this.streamKeys = new StreamKeys(keys, ns.partitions(), ns.dedupeLayout(), dedupeWindowMs);
        int batchSize = config.get(TallyConfig.PRODUCER_BATCH_SIZE);
        long lingerNanos = TimeUnit.MILLISECONDS.toNanos(config.get(TallyConfig.PRODUCER_LINGER_MS));
        long sendTimeoutMs = config.get(TallyConfig.SEND_TIMEOUT_MS);
        this.windows = config.get(TallyConfig.SERIES_WINDOWS);
        int bufferLimit = config.get(TallyConfig.PRODUCER_BUFFER);
        long bufferBytesLimit = config.get(TallyConfig.PRODUCER_BUFFER_BYTES);
        Acks acks = config.get(TallyConfig.ACKS);
        int laneCount = Math.min(config.get(TallyConfig.PRODUCER_MAX_IN_FLIGHT), ns.partitions());
        SenderLoop.APPEND_RUNS.load(redis);
        this.sessions = config.get(TallyConfig.PRODUCER_IDEMPOTENCE) ? new ProducerSessions(redis, keys) : null;
        StreamSequences sequences = sessions == null ? null : new StreamSequences(sessions, ns.partitions());
        this.direct = acks == Acks.LEADER ? DirectConnection.open(config, sendTimeoutMs, streamKeys) : null;
        this.namespace = new NamespaceWatch(redis, keys, ns.partitions(), ns.dedupeLayout(), config.redisUrl(),
                config.get(TallyConfig.REDIS_MODE));
        this.backlog = new BacklogMonitor(redis, keys, ns.partitions(), config.get(TallyConfig.BACKLOG_LIMIT));
        this.accumulator = new SendAccumulator(laneCount, batchSize, lingerNanos, bufferLimit, bufferBytesLimit,
                backlog, metrics);
        SendCompletion completion = new SendCompletion(redis, accumulator, streamKeys, sequences, metrics, acks,
                sendTimeoutMs);
        this.sender = new SenderLoop(accumulator, completion, namespace, streamKeys, sequences, metrics, direct, executor,
                acks, sendTimeoutMs, dedupeWindowMs);
        sender.start();
    }

    public static RedisTallyProducer create(TallyConfig config, ProducerMetrics metrics) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return new RedisTallyProducer(redis, true, config, metrics);
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    public static RedisTallyProducer create(RedissonClient redis, boolean ownsClient, TallyConfig config,
                                            ProducerMetrics metrics) {
        return new RedisTallyProducer(redis, ownsClient, config, metrics);
    }

    @Override
    public CompletableFuture<SendResult> send(CounterOp op) {
        byte[][] fields = EntryEncoder.encode(op);
        if (!op.windows().isEmpty()) {
            windows.requireConfigured("windows", op.windows());
        }
        return enqueue(pending(StreamKeys.OPS, fields));
    }

    @Override
    public CompletableFuture<SendResult> emit(Event event) {
        return enqueue(pending(StreamKeys.EVENTS, EntryEncoder.encode(event)));
    }

    /** A send of an entry to its routing key's partition, with where its id is kept when it has one. */
    private PendingSend pending(int topic, byte[][] fields) {
        int p = partitioner.partitionOf(EntryEncoder.routingKey(topic, fields));
        byte[] id = EntryEncoder.id(fields);
        return id == null ? new PendingSend(p, topic, fields, null) : PendingSend.withId(p, topic, fields, id, streamKeys);
    }

    @Override
    public int partitions() {
        return partitioner.partitions();
    }

    private CompletableFuture<SendResult> enqueue(PendingSend send) {
        if (accumulator.add(send)) {
            sender.wake();
        }
        return send.future;
    }

    @Override
    public void flush() {
        accumulator.flushing(true);
        sender.wake();
        try {
            accumulator.awaitAdmitted(sender::wake);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            accumulator.flushing(false);
        }
    }

    @Override
    public void close() {
        if (accumulator.closed()) {
            return;
        }
        // admit nothing more first: a flush that other threads keep feeding would never end
        accumulator.close();
        flush();
        sender.stop();
        if (sessions != null) {
            sessions.close();
        }
        backlog.close();
        namespace.close();
        if (direct != null) {
            direct.close();
        }
        if (ownsClient) {
            redis.shutdown();
        }
    }
}
