package io.tally.producer.internal;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.common.internal.redis.RedisVersion;
import io.tally.producer.BackpressureException;
import io.tally.producer.DuplicateIdConflictException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;
import org.redisson.api.BatchOptions;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisBusyException;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisResponseTimeoutException;
import org.redisson.client.RedisTimeoutException;
import org.redisson.command.CommandAsyncExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link TallyProducer} on Redisson. Sends are encoded to bytes on the caller's thread; one sender
 * thread turns each lane's queue into pipelines ({@link SendPipeline}: one append_runs.lua call per
 * stream, written to the producer's own connection with a standalone Redis and acks=leader, else on
 * Redisson's batch executor, never retried by the client itself); completions run on the connection's
 * reader thread (or Redisson's), a stream's sends in one pass, and wake the sender. With
 * producer-idempotence (the default) each stream's sends are numbered in the producer's session
 * ({@link StreamSequences}), so the producer sends again after a lost reply, with the same numbers, and
 * the script drops what it already wrote.
 */
public final class RedisTallyProducer implements TallyProducer {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RedisTallyProducer.class);
    private static final LuaScript APPEND_RUNS = LuaScript.resource("append_runs");
    private static final byte[] EVALSHA = {'E', 'V', 'A', 'L', 'S', 'H', 'A'};
    private static final byte DUPLICATE = 1;
    private static final byte CONFLICT = 2;

    private final RedissonClient redis;
    private final boolean ownsClient;
    private final Keys keys;
    private final StreamKeys streamKeys;
    private final CommandAsyncExecutor executor;
    private final io.tally.common.internal.keys.Partitioner partitioner;
    private final ProducerMetrics metrics;
    private final Lane[] lanes;
    private final int batchSize;
    private final long lingerNanos;
    private final long sendTimeoutMs;
    private final byte[] dedupeWindowMs;
    private final int bufferLimit;
    private final Acks acks;
    private final BacklogMonitor backlog;
    private final NamespaceWatch namespace;
    /** The producer's own connection for appends; null: Redisson pipelines (Cluster, Sentinel, acks=replicas). */
    private final DirectConnection direct;
    /** Null when producer-idempotence is off. */
    private final ProducerSessions sessions;
    private final StreamSequences sequences;
    private final byte[] appendSha;
    private final AtomicLong outstanding = new AtomicLong();
    private final Object flushMonitor = new Object();
    private final Thread sender;
    private static final long RETRY_DELAY_MS = 50;
    private final java.util.concurrent.ScheduledExecutorService retryTimer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tally-producer-retry");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean flushing;
    private volatile boolean closed;

    private RedisTallyProducer(RedissonClient redis, boolean ownsClient, TallyConfig config, ProducerMetrics metrics) {
        this.redis = redis;
        this.ownsClient = ownsClient;
        this.executor = RedissonSendPipeline.executorOf(redis);
        Namespace ns = Namespace.await(redis, config, config.get(TallyConfig.SEND_TIMEOUT_MS));
        RedisVersion.requireSupported(redis, ns, config);
        this.keys = ns.keys();
        this.partitioner = ns.partitioner();
        this.streamKeys = new StreamKeys(keys, ns.partitions());
        this.metrics = metrics;
        this.batchSize = config.get(TallyConfig.PRODUCER_BATCH_SIZE);
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(config.get(TallyConfig.PRODUCER_LINGER_MS));
        this.sendTimeoutMs = config.get(TallyConfig.SEND_TIMEOUT_MS);
        this.dedupeWindowMs = Ascii.ofLong(config.get(TallyConfig.DEDUPE_WINDOW_MS));
        this.bufferLimit = config.get(TallyConfig.PRODUCER_BUFFER);
        this.acks = config.get(TallyConfig.ACKS);
        int laneCount = Math.min(config.get(TallyConfig.PRODUCER_MAX_IN_FLIGHT), ns.partitions());
        this.lanes = new Lane[laneCount];
        for (int i = 0; i < laneCount; i++) {
            lanes[i] = new Lane();
        }
        APPEND_RUNS.load(redis);
        this.appendSha = APPEND_RUNS.sha().getBytes(StandardCharsets.US_ASCII);
        this.sessions = config.get(TallyConfig.PRODUCER_IDEMPOTENCE) ? new ProducerSessions(redis, keys) : null;
        this.sequences = sessions == null ? null : new StreamSequences(sessions, ns.partitions());
        this.direct = acks == Acks.LEADER
                ? RedisClientFactory.hotPathEndpoint(config, "tally-producer")
                .map(endpoint -> new DirectConnection(endpoint.withTimeoutMs((int) Math.min(Integer.MAX_VALUE, sendTimeoutMs))))
                .orElse(null)
                : null;
        this.namespace = new NamespaceWatch(redis, keys, ns.partitions(), config.redisUrl());
        this.backlog = new BacklogMonitor(redis, keys, ns.partitions(), config.get(TallyConfig.BACKLOG_LIMIT));
        this.sender = new Thread(this::runSender, "tally-producer-sender");
        sender.setDaemon(true);
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
        int p = partitioner.partitionOf(fields[EntryEncoder.OP_ROUTING_KEY]);
        return enqueue(new PendingSend(p, StreamKeys.OPS, fields, dedupeKey(StreamKeys.OPS, p, fields)));
    }

    @Override
    public CompletableFuture<SendResult> emit(Event event) {
        byte[][] fields = EntryEncoder.encode(event);
        int p = partitioner.partitionOf(fields[EntryEncoder.EVENT_ROUTING_KEY]);
        return enqueue(new PendingSend(p, StreamKeys.EVENTS, fields, dedupeKey(StreamKeys.EVENTS, p, fields)));
    }

    /** The dedupe key of a send whose entry has an id (scoped to its stream and routing key), else null. */
    private byte[] dedupeKey(int topic, int partition, byte[][] fields) {
        byte[] id = EntryEncoder.id(fields);
        return id == null ? null : streamKeys.dedupe(topic, partition, EntryEncoder.routingKey(topic, fields), id);
    }

    @Override
    public int partitions() {
        return partitioner.partitions();
    }

    private CompletableFuture<SendResult> enqueue(PendingSend send) {
        if (closed) {
            throw new IllegalStateException("producer is closed");
        }
        long over = backlog.overLimit(send.partition);
        if (over >= 0) {
            return rejected(send, new BackpressureException("partition " + send.partition + " has a backlog of " + over
                    + " entries, at or above backlog-limit " + backlog.limit() + "; processors are behind or stopped",
                    BacklogMonitor.INTERVAL_MS));
        }
        if (outstanding.incrementAndGet() > bufferLimit) {
            outstanding.decrementAndGet();
            return rejected(send, new BackpressureException("producer buffer is full (" + bufferLimit
                    + " sends waiting, producer-buffer); Redis is slower than the send rate", 100));
        }
        int queued = lanes[send.partition % lanes.length].add(send);
        if (queued >= batchSize || lingerNanos == 0) {
            LockSupport.unpark(sender);
        }
        return send.future;
    }

    private CompletableFuture<SendResult> rejected(PendingSend send, TallyException e) {
        metrics.sent(send.topicName(), "backpressure", 0);
        send.future.completeExceptionally(e);
        return send.future;
    }

    private void runSender() {
        while (!closed || outstanding.get() > 0) {
            long now = System.nanoTime();
            long nextDue = Long.MAX_VALUE;
            for (Lane lane : lanes) {
                List<PendingSend> batch = lane.takeIfDue(batchSize, lingerNanos, flushing || closed, now);
                if (batch != null && namespace.blocked() != null) {
                    hold(lane, batch, namespace.blocked());
                } else if (batch != null) {
                    dispatchGuarded(lane, batch);
                } else {
                    nextDue = Math.min(nextDue, lane.dueAt(lingerNanos));
                }
            }
            long wait = nextDue == Long.MAX_VALUE ? TimeUnit.MILLISECONDS.toNanos(50) : Math.max(nextDue - now, 50_000);
            LockSupport.parkNanos(this, Math.min(wait, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }

    /**
     * Keeps a lane's sends queued while the namespace is missing (a processor restores it within a
     * tick), failing those past send-timeout-ms, and fails them all when it came back with another P.
     * Sends that keep their numbers from an attempt whose outcome is unknown stay or fail together per
     * stream (their batch must go again as it was), and a stream whose such sends fail leaves its session.
     */
    private void hold(Lane lane, List<PendingSend> sends, TallyException why) {
        boolean keep = namespace.missing();
        java.util.Set<Integer> leaving = new java.util.HashSet<>();
        for (PendingSend send : sends) {
            if (send.numbered() && (!keep || expired(send))) {
                leaving.add(send.topic * streamKeys.partitions() + send.partition);
            }
        }
        List<PendingSend> waiting = new ArrayList<>(sends.size());
        for (PendingSend send : sends) {
            boolean numbered = send.numbered();
            if (numbered ? !leaving.contains(send.topic * streamKeys.partitions() + send.partition) : keep && !expired(send)) {
                waiting.add(send);
                continue;
            }
            if (numbered) {
                sequences.retire(send.topic, send.partition, send.session);
                send.unnumber();
            }
            if (send.future.isDone()) {
                continue; // failed after an earlier attempt; it went along with its batch
            }
            if (send.maybeWritten) {
                fail(send, why, true);
            } else {
                metrics.sent(send.topicName(), "error", System.nanoTime() - send.createdNanos);
                send.future.completeExceptionally(why);
                finished(1);
            }
        }
        lane.requeueFirst(waiting);
        lane.done();
    }

    /** The sender thread must survive anything one batch does: a dead sender would leave every send waiting. */
    private void dispatchGuarded(Lane lane, List<PendingSend> sends) {
        List<StreamGroup> groups = null;
        try {
            groups = StreamGroup.byStream(sends, streamKeys.partitions());
            dispatch(lane, sends, groups);
        } catch (RuntimeException e) {
            log.error("producer: building a pipeline of {} sends failed; failing them: {}", sends.size(), e.toString());
            if (groups != null && sequences != null) {
                // what was numbered may have left: its streams take new sessions
                groups.forEach(sequences::retire);
            }
            for (PendingSend send : sends) {
                if (!send.future.isDone()) {
                    fail(send, e, send.maybeWritten);
                }
            }
            lane.done();
        }
    }

    private void dispatch(Lane lane, List<PendingSend> sends, List<StreamGroup> groups) {
        BatchOptions options = BatchOptions.defaults().retryAttempts(0)
                .responseTimeout(sendTimeoutMs, TimeUnit.MILLISECONDS);
        if (acks == Acks.REPLICAS) {
            options = options.sync(1, Duration.ofMillis(sendTimeoutMs));
        }
        // number every stream before any call is queued, so that a failure to number queues nothing
        List<StreamGroup> ready = new ArrayList<>(groups.size());
        for (StreamGroup group : groups) {
            if (sequences == null || sequences.number(group)) {
                ready.add(group);
            } else {
                group.reply = CompletableFuture.failedFuture(new NotSentException("the producer is beginning a new "
                        + "session for " + streamKeys.stream(group.topic, group.partition) + "; not sent", null));
            }
        }
        SendPipeline pipeline = direct != null ? direct.pipeline(EVALSHA, appendSha)
                : RedissonSendPipeline.open(executor, options, APPEND_RUNS);
        for (StreamGroup group : ready) {
            group.reply = pipeline.add(group, streamKeys, dedupeWindowMs);
        }
        metrics.batch(sends.size());
        CompletableFuture<Integer> executed;
        try {
            executed = ready.isEmpty() ? CompletableFuture.completedFuture(0) : pipeline.execute();
        } catch (RuntimeException e) {
            // Redisson can refuse a batch synchronously (e.g. a slot without a master during a cluster
            // failover); fail or retry its sends like any asynchronous error instead of killing the sender.
            release(lane, complete(groups, null, e));
            return;
        }
        executed.whenComplete((syncedReplicas, error) -> {
            List<PendingSend> retry = List.of();
            try {
                retry = complete(groups, syncedReplicas, error);
            } catch (RuntimeException e) {
                log.error("producer: handling the reply of a pipeline failed; failing its sends: {}", e.toString());
                if (sequences != null) {
                    groups.forEach(sequences::retire);
                }
                sends.stream().filter(send -> !send.future.isDone()).forEach(send -> fail(send, e, true));
            } finally {
                release(lane, retry);
            }
        });
    }

    /**
     * Frees the lane for its next pipeline. Sends to retry go back to the head of the lane 50 ms later,
     * and the lane stays busy until then, so that no later send of their partitions overtakes them; the
     * wait runs on a timer, never on a Redisson thread.
     */
    private void release(Lane lane, List<PendingSend> retry) {
        if (retry.isEmpty()) {
            lane.done();
            LockSupport.unpark(sender);
            return;
        }
        retryTimer.schedule(() -> {
            lane.requeueFirst(retry);
            lane.done();
            LockSupport.unpark(sender);
        }, RETRY_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Completes each send of a pipeline; returns those to send again: after a retriable error, every send
     * with producer sessions (else the idempotent ones), and all of a stream's sends when its script was
     * missing or the call never left (nothing was written).
     */
    private List<PendingSend> complete(List<StreamGroup> groups, Integer syncedReplicas, Throwable error) {
        Throwable cause = unwrap(error);
        // the scripts replied, so their entries are on the master; only a replica's copy is in doubt
        boolean unconfirmed = cause == null && acks == Acks.REPLICAS && (syncedReplicas == null || syncedReplicas < 1);
        boolean noScript = cause != null && LuaScript.isNoScript(cause);
        for (StreamGroup group : groups) {
            Throwable own = group.reply == null ? null : failure(group.reply);
            noScript |= own != null && LuaScript.isNoScript(own);
        }
        if (noScript) {
            // a restarted or promoted master has no scripts; load without blocking this Redisson thread
            APPEND_RUNS.loadAsync(redis);
        }
        // With acks=leader a stream whose script replied is done whatever happened to the rest of the
        // pipeline (its entries are written); with acks=replicas the pipeline's WAIT decides for all.
        boolean trustReplies = acks == Acks.LEADER || cause == null;
        List<PendingSend> retry = new ArrayList<>();
        for (StreamGroup group : groups) {
            if (trustReplies && replied(group.reply)) {
                completeAll(group, group.reply.join(), unconfirmed);
                continue;
            }
            Throwable own = group.reply == null ? null : failure(group.reply);
            if (own == null) {
                own = cause != null ? cause : new RedisResponseTimeoutException("the pipeline ended without a reply for "
                        + group.sends.size() + " sends to " + streamKeys.stream(group.topic, group.partition));
            }
            if (group.session() != null) {
                // only the call's own error reply tells what it did; another call's error, or a pipeline
                // whose WAIT failed after this call replied, says nothing about this call
                failedInSession(group, own, group.reply != null && failure(group.reply) != null, retry);
                continue;
            }
            boolean nothingWritten = LuaScript.isNoScript(own) || own instanceof NotSentException;
            boolean again = nothingWritten || retriable(own);
            for (PendingSend send : group.sends) {
                if (!expired(send) && (nothingWritten || ((sequences != null || send.idempotent()) && again))) {
                    retry.add(send);
                } else if (sequences != null) {
                    fail(send, own, send.maybeWritten); // this call never left
                } else {
                    fail(send, own);
                }
            }
        }
        return retry;
    }

    /**
     * A numbered stream's call failed. Refused for its session (SEQGAP, NOSESSION: none of these sends is
     * in Redis now): the stream takes a new session and they go again as new sends. Known not written by
     * any attempt: they go again with new numbers, or fail as not written. Else some attempt may have
     * written them: they go again as the same batch with the same session and numbers, so that the script
     * drops what it wrote and answers with the entry ids. A send past send-timeout-ms fails then (outcome
     * unknown) but still goes with the batch, which keeps the numbers consecutive and the batch the same;
     * once every send of it has failed the stream leaves its session, where it stands there can no longer
     * be known.
     */
    private void failedInSession(StreamGroup group, Throwable own, boolean ownReply, List<PendingSend> retry) {
        List<PendingSend> sends = group.sends;
        String code = ownReply ? RedisErrorCode.of(own.getMessage()) : "";
        if (code.equals("SEQGAP") || code.equals("NOSESSION")) {
            if (code.equals("SEQGAP")) {
                log.warn("producer: {} lost entries this producer wrote before (a failover or a restart without "
                        + "persistence?); sending again in a new session: {}", streamKeys.stream(group.topic, group.partition),
                        own.getMessage());
            } else {
                log.debug("producer: {}: {}; sending again in a new session", streamKeys.stream(group.topic, group.partition),
                        own.getMessage());
            }
            sequences.retire(group);
            for (PendingSend send : sends) {
                if (send.future.isDone()) {
                    continue; // failed on an earlier attempt; it went along only to keep the batch the same
                }
                if (!expired(send)) {
                    send.maybeWritten = false;
                    retry.add(send);
                } else {
                    fail(send, own, send.maybeWritten);
                }
            }
            return;
        }
        // an error reply to the call itself: the script did not run, or refused before its first write
        boolean thisAttemptWroteNothing = ownReply && (own instanceof NotSentException || !code.isEmpty());
        if (!thisAttemptWroteNothing) {
            sends.forEach(send -> send.maybeWritten = true);
        }
        boolean again = !thisAttemptWroteNothing || retriable(own);
        if (sends.stream().noneMatch(send -> send.maybeWritten)) {
            sequences.rollBack(group, 0);
            for (PendingSend send : sends) {
                if (again && !expired(send)) {
                    retry.add(send);
                } else {
                    fail(send, own, false);
                }
            }
            return;
        }
        boolean pending = false;
        for (PendingSend send : sends) {
            if (!send.future.isDone() && (!again || expired(send))) {
                fail(send, own, send.maybeWritten);
            }
            pending |= !send.future.isDone();
        }
        if (pending) {
            retry.addAll(sends);
        } else {
            sequences.retire(group);
        }
    }

    /**
     * Completes a stream's sends from append_runs.lua's reply: the entry ids of the sends it handled (the
     * original entry's for a duplicate or a conflict), the 1-based positions of duplicates (positive) and
     * conflicts (negative), then, when a write failed, 0 and its error: the sends from there on were not
     * written. With {@code unconfirmed} (acks=replicas, WAIT fell short) a send's entry is on the master
     * only, so its outcome is unknown. A send the script had handled before (a retry in the same session)
     * gets the id it names, or none ('') in the rare case that it no longer can.
     */
    private void completeAll(StreamGroup group, List<Object> reply, boolean unconfirmed) {
        List<PendingSend> sends = group.sends;
        int n = sends.size();
        int handled = 0;
        while (handled < n && handled < reply.size() && reply.get(handled) instanceof String) {
            handled++;
        }
        byte[] outcome = new byte[handled];
        String error = null;
        for (int i = handled; i < reply.size(); i++) {
            int mark = ((Number) reply.get(i)).intValue();
            if (mark == 0) {
                error = String.valueOf(reply.get(i + 1));
                break;
            }
            outcome[Math.abs(mark) - 1] = mark > 0 ? DUPLICATE : CONFLICT;
        }
        if (handled < n && sequences != null) {
            sequences.rollBack(group, handled); // the rest was not written: their numbers are free again
        }
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            PendingSend send = sends.get(i);
            if (send.future.isDone()) {
                continue; // failed after an earlier attempt (send-timeout-ms); it went along with its batch
            }
            if (i >= handled) {
                fail(send, stoppedBefore(error), false);
                continue;
            }
            String entryId = (String) reply.get(i);
            if (entryId.isEmpty()) {
                entryId = null;
            }
            if (outcome[i] == CONFLICT) {
                metrics.sent(send.topicName(), "conflict", now - send.createdNanos);
                send.future.completeExceptionally(new DuplicateIdConflictException(
                        new String(EntryEncoder.id(send.fields), StandardCharsets.UTF_8), send.topicName(),
                        new String(EntryEncoder.routingKey(send.topic, send.fields), StandardCharsets.UTF_8), entryId));
                finished(1);
            } else if (unconfirmed) {
                metrics.sent(send.topicName(), "unknown", now - send.createdNanos);
                send.future.completeExceptionally(new OutcomeUnknownException("send to partition " + send.partition
                        + " is on the master as entry " + entryId + " of "
                        + streamKeys.stream(send.topic, send.partition) + " but no replica confirmed it within "
                        + sendTimeoutMs + " ms (acks=replicas); a failover may lose it, so retry only with the same id", null));
                finished(1);
            } else {
                boolean duplicate = outcome[i] == DUPLICATE;
                metrics.sent(send.topicName(), duplicate ? "duplicate" : "ok", now - send.createdNanos);
                send.future.complete(new SendResult(send.partition, entryId, duplicate));
                finished(1);
            }
        }
    }

    /**
     * Why append_runs.lua did not write a send: {@code error} is its own text, or {@code entry <n>: }
     * followed by the error Redis replied to the write that failed (OOM, READONLY, WRONGTYPE...), which
     * becomes the typed cause: a Redis that cannot serve now makes a retriable failure.
     */
    private static RedisException stoppedBefore(String error) {
        String message = "append_runs.lua stopped before this send; it was not written: "
                + (error == null ? "no reply for it" : error);
        int reply = error == null || !error.startsWith("entry ") ? -1 : error.indexOf(": ");
        return reply < 0 ? new RedisException(message)
                : new RedisException(message, RedisErrorReplies.of(error.substring(reply + 2)));
    }

    /** Without producer sessions: a plain send whose call timed out after it left has an unknown outcome. */
    private void fail(PendingSend send, Throwable cause) {
        boolean unknown = !send.idempotent() && (cause instanceof RedisTimeoutException
                || cause instanceof RedisResponseTimeoutException);
        fail(send, cause, unknown);
    }

    /**
     * Fails a send; with {@code maybeWritten} (an attempt's reply was lost) a plain send's outcome is
     * unknown, and one with an operation id fails retriable (the same id makes a repeat a duplicate).
     */
    private void fail(PendingSend send, Throwable cause, boolean maybeWritten) {
        if (send.future.isDone()) {
            return;
        }
        boolean unknown = maybeWritten && !send.idempotent();
        TallyException e = unknown
                ? new OutcomeUnknownException("send to partition " + send.partition + " got no reply it could trust ("
                + cause.getMessage() + "); the entry may or may not be in " + streamKeys.stream(send.topic, send.partition)
                + " (give sends an id to retry them safely)", cause)
                : StreamIdsExhaustedException.matches(cause)
                ? new StreamIdsExhaustedException(streamKeys.stream(send.topic, send.partition), send.partition, cause)
                : new SendFailedException("send to partition " + send.partition + " failed: " + cause.getMessage()
                + (maybeWritten ? " (it may have been written; send it again with the same id)" : ""),
                maybeWritten || retriable(cause), cause);
        metrics.sent(send.topicName(), unknown ? "unknown" : "error", System.nanoTime() - send.createdNanos);
        send.future.completeExceptionally(e);
        finished(1);
    }

    /** Counts finished sends out of the buffer; wakes flush() when none is left. */
    private void finished(int sends) {
        if (outstanding.addAndGet(-sends) == 0) {
            synchronized (flushMonitor) {
                flushMonitor.notifyAll();
            }
        }
    }

    private boolean expired(PendingSend send) {
        return System.nanoTime() - send.createdNanos > TimeUnit.MILLISECONDS.toNanos(sendTimeoutMs);
    }

    /** Redis unavailable, busy or moving: a retry (same id) may succeed. Looks through wrapped causes. */
    private static boolean retriable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (retriableOne(t)) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static boolean retriableOne(Throwable e) {
        return e instanceof java.net.ConnectException || e instanceof java.nio.channels.ClosedChannelException
                || e instanceof RedisConnectionException || e instanceof RedisTimeoutException
                || e instanceof RedisResponseTimeoutException || LuaScript.isNoScript(e)
                || e instanceof RedisOutOfMemoryException || e instanceof RedisBusyException
                || (e.getMessage() != null && (e.getMessage().startsWith("LOADING") || e.getMessage().contains("MOVED")
                || e.getMessage().contains("TRYAGAIN") || e.getMessage().contains("CLUSTERDOWN")
                || e.getMessage().contains("READONLY")
                || e.getMessage().contains("MASTERDOWN") || e.getMessage().contains("Unable to write command")
                || e.getMessage().contains("hasn't been discovered")));
    }

    private static boolean replied(CompletableFuture<?> reply) {
        return reply != null && reply.isDone() && !reply.isCompletedExceptionally();
    }

    private static Throwable failure(CompletableFuture<?> reply) {
        if (!reply.isCompletedExceptionally()) {
            return null;
        }
        try {
            reply.join();
            return null;
        } catch (CompletionException e) {
            return unwrap(e);
        }
    }

    private static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    @Override
    public void flush() {
        flushing = true;
        LockSupport.unpark(sender);
        try {
            synchronized (flushMonitor) {
                while (outstanding.get() > 0) {
                    flushMonitor.wait(50);
                    LockSupport.unpark(sender);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            flushing = false;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        LockSupport.unpark(sender);
        try {
            sender.join(TimeUnit.MILLISECONDS.toMillis(sendTimeoutMs + 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        retryTimer.shutdownNow();
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
