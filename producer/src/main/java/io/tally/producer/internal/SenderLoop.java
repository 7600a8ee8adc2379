package io.tally.producer.internal;

import io.tally.common.config.Acks;
import io.tally.common.internal.redis.LuaScript;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyException;
import org.redisson.api.BatchOptions;
import org.redisson.command.CommandAsyncExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The sender thread (Kafka's sender): takes each lane's batch once it is due, numbers its streams in the
 * producer's session, and sends it as one pipeline of append_runs.lua calls, one per stream; when the
 * replies are in ({@link SendCompletion}) it frees the lane, with the sends to retry back at its head.
 * While the namespace is missing it holds a lane's sends instead.
 */
final class SenderLoop {
    private static final Logger log = LoggerFactory.getLogger(SenderLoop.class);
    static final LuaScript APPEND_RUNS = LuaScript.resource("append_runs");
    private static final byte[] EVALSHA = {'E', 'V', 'A', 'L', 'S', 'H', 'A'};
    private static final long RETRY_DELAY_MS = 50;

    private final SendAccumulator accumulator;
    private final SendCompletion completion;
    private final NamespaceWatch namespace;
    private final StreamKeys streamKeys;
    /** Null when producer-idempotence is off. */
    private final StreamSequences sequences;
    private final ProducerMetrics metrics;
    /** The producer's own connections for appends; null: Redisson pipelines (Sentinel, acks=replicas). */
    private final DirectConnection direct;
    private final CommandAsyncExecutor executor;
    private final byte[] appendSha = APPEND_RUNS.sha().getBytes(StandardCharsets.US_ASCII);
    private final Acks acks;
    private final long sendTimeoutMs;
    /** The shortest wait for a call's reply on Redisson in a producer session (see {@link #replyTimeoutMs}). */
    private static final long MIN_REPLY_TIMEOUT_MS = 1000;
    private final byte[] dedupeWindowMs;
    private final DedupeClock dedupeClock;
    private final ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tally-producer-retry");
        t.setDaemon(true);
        return t;
    });
    private final Thread thread = new Thread(this::run, "tally-producer-sender");

    SenderLoop(SendAccumulator accumulator, SendCompletion completion, NamespaceWatch namespace, StreamKeys streamKeys,
               StreamSequences sequences, ProducerMetrics metrics, DirectConnection direct,
               CommandAsyncExecutor executor, Acks acks, long sendTimeoutMs, long dedupeWindowMs) {
        this.accumulator = accumulator;
        this.completion = completion;
        this.namespace = namespace;
        this.streamKeys = streamKeys;
        this.sequences = sequences;
        this.metrics = metrics;
        this.direct = direct;
        this.executor = executor;
        this.acks = acks;
        this.sendTimeoutMs = sendTimeoutMs;
        this.dedupeWindowMs = Ascii.ofLong(dedupeWindowMs);
        this.dedupeClock = new DedupeClock(dedupeWindowMs);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Wakes the sender thread to look at the lanes now. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Waits for the sender thread to end (the accumulator is closed and empty), then stops the retry timer. */
    void stop() {
        wake();
        try {
            thread.join(TimeUnit.MILLISECONDS.toMillis(sendTimeoutMs + 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        retryTimer.shutdownNow();
    }

    private void run() {
        while (!accumulator.closed() || accumulator.hasOutstanding()) {
            long now = System.nanoTime();
            long nextDue = Long.MAX_VALUE;
            int batchSize = accumulator.batchSize();
            long lingerNanos = accumulator.lingerNanos();
            for (Lane lane : accumulator.lanes()) {
                List<PendingSend> batch = lane.takeIfDue(batchSize, lingerNanos, accumulator.draining(), now);
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
        Set<Integer> leaving = new HashSet<>();
        for (PendingSend send : sends) {
            if (send.numbered() && (!keep || completion.expired(send))) {
                leaving.add(send.topic * streamKeys.partitions() + send.partition);
            }
        }
        List<PendingSend> waiting = new ArrayList<>(sends.size());
        for (PendingSend send : sends) {
            boolean numbered = send.numbered();
            if (numbered ? !leaving.contains(send.topic * streamKeys.partitions() + send.partition)
                    : keep && !completion.expired(send)) {
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
                completion.fail(send, why, true, namespace.blockedReason());
            } else {
                completion.failUnsent(send, why, namespace.blockedReason());
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
                    completion.fail(send, e, send.maybeWritten);
                }
            }
            lane.done();
        }
    }

    private void dispatch(Lane lane, List<PendingSend> sends, List<StreamGroup> groups) {
        BatchOptions options = batchOptions();
        List<StreamGroup> ready = number(groups);
        SendPipeline pipeline = direct != null ? direct.pipeline(EVALSHA, appendSha)
                : RedissonSendPipeline.open(executor, options, APPEND_RUNS);
        long bucket = dedupeClock.bucket();
        for (StreamGroup group : ready) {
            if (streamKeys.dedupeBuckets() && group.hasIds()) {
                group.dedupeBuckets(streamKeys.dedupeBuckets(group.topic, group.partition, bucket));
            }
            group.reply = pipeline.add(group, streamKeys, dedupeWindowMs);
        }
        metrics.batch(sends.size());
        CompletableFuture<Void> executed;
        try {
            executed = ready.isEmpty() ? CompletableFuture.completedFuture(null) : pipeline.execute();
        } catch (RuntimeException e) {
            // Redisson can refuse a batch synchronously (e.g. a slot without a master during a cluster
            // failover); fail or retry its sends like any asynchronous error instead of killing the sender.
            release(lane, completion.complete(groups, e));
            return;
        }
        executed.whenComplete((done, error) -> onExecuted(lane, sends, groups, error));
    }

    /**
     * Redisson's batch options: no retries by the client, how long a call waits for its reply, and WAIT
     * for a replica with acks=replicas (each call's batch waits for its own master's replica).
     */
    private BatchOptions batchOptions() {
        BatchOptions options = BatchOptions.defaults().retryAttempts(0)
                .responseTimeout(replyTimeoutMs(), TimeUnit.MILLISECONDS);
        if (acks == Acks.REPLICAS) {
            options = options.sync(1, Duration.ofMillis(sendTimeoutMs));
        }
        return options;
    }

    /**
     * How long a call on Redisson waits for its reply. Redisson notices a connection that closed under a
     * call only at this timeout, so in a producer session (acks=leader) it is a third of send-timeout-ms
     * (at least {@value #MIN_REPLY_TIMEOUT_MS} ms): a reply lost with its connection leaves time for the call
     * to go again in its session, where the script drops what the first attempt wrote. Without a session a
     * call that times out ends its plain sends outcome unknown, so it waits the whole send-timeout-ms; so
     * does a call with acks=replicas, whose WAIT may take that long.
     */
    private long replyTimeoutMs() {
        if (sequences == null || acks != Acks.LEADER) {
            return sendTimeoutMs;
        }
        return Math.min(sendTimeoutMs, Math.max(MIN_REPLY_TIMEOUT_MS, sendTimeoutMs / 3));
    }

    /**
     * Numbers every stream before any call is queued, so that a failure to number queues nothing; returns
     * the streams to send. A stream beginning a new session is not sent (its reply fails as not sent).
     */
    private List<StreamGroup> number(List<StreamGroup> groups) {
        List<StreamGroup> ready = new ArrayList<>(groups.size());
        for (StreamGroup group : groups) {
            if (sequences == null || sequences.number(group)) {
                ready.add(group);
            } else {
                Throwable why = sequences.sessionFailure();
                group.reply = CompletableFuture.failedFuture(new NotSentException("the producer is beginning a new "
                        + "session for " + streamKeys.stream(group.topic, group.partition) + "; not sent"
                        + (why == null ? "" : " (the last try failed: " + ProducerSessions.redisText(why) + ")"), why));
            }
        }
        return ready;
    }

    /** Runs when a pipeline's replies are in (on the connection's reader thread, or Redisson's). */
    private void onExecuted(Lane lane, List<PendingSend> sends, List<StreamGroup> groups, Throwable error) {
        List<PendingSend> retry = List.of();
        try {
            groups.forEach(group -> dedupeClock.learnFrom(group.reply == null ? null : SendErrors.failure(group.reply)));
            retry = completion.complete(groups, error);
        } catch (RuntimeException e) {
            log.error("producer: handling the reply of a pipeline failed; failing its sends: {}", e.toString());
            if (sequences != null) {
                groups.forEach(sequences::retire);
            }
            sends.stream().filter(send -> !send.future.isDone()).forEach(send -> completion.fail(send, e, true));
        } finally {
            release(lane, retry);
        }
    }

    /**
     * Frees the lane for its next pipeline. Sends to retry go back to the head of the lane 50 ms later,
     * and the lane stays busy until then, so that no later send of their partitions overtakes them; the
     * wait runs on a timer, never on a Redisson thread.
     */
    private void release(Lane lane, List<PendingSend> retry) {
        if (retry.isEmpty()) {
            lane.done();
            wake();
            return;
        }
        retryTimer.schedule(() -> {
            lane.requeueFirst(retry);
            lane.done();
            wake();
        }, RETRY_DELAY_MS, TimeUnit.MILLISECONDS);
    }
}
