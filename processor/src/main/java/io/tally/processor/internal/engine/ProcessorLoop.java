package io.tally.processor.internal.engine;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.text.ForeignText;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.apply.ApplyRound;
import io.tally.processor.internal.apply.Workers;
import io.tally.processor.internal.halt.PartitionHalts;
import io.tally.processor.internal.halt.StreamIdWatch;
import io.tally.processor.internal.housekeeping.Housekeeping;
import io.tally.processor.internal.ownership.Leases;
import io.tally.processor.internal.ownership.Membership;
import io.tally.processor.internal.ownership.StickyAssignor;
import io.tally.processor.internal.trigger.TimeTriggerScheduler;
import org.redisson.client.RedisException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * The processor's one thread. Between pipelined apply rounds it runs a tick every {@code tick-ms}:
 * heartbeat, assignment, lease acquire/release/renew, housekeeping. The tick first waits for every
 * pipeline in flight, so no script of a partition is ever in flight while its lease is released.
 *
 * <p>Errors from Redis are retried with exponential backoff (100 ms to 5 s), cut short once a lost hot-path
 * connection opens again; while they last the processor reports not ready. Nothing is acknowledged except by the apply script itself.
 */
public final class ProcessorLoop implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ProcessorLoop.class);
    private static final long MAX_BACKOFF_MS = 5000;

    private final Keys keys;
    /** For log messages only; carries no password (passwords never go into the URL). */
    /** One line naming what Redis did and the fix, for the log (no Redisson channel or command dump). */
    private final Function<Throwable, String> failureLine;
    private final int partitions;
    private final String instanceId;
    private final Membership membership;
    private final Leases leases;
    private final ApplyRound round;
    private final Housekeeping housekeeping;
    private final StreamIdWatch streamIds;
    private final TimeTriggerScheduler scheduler;
    private final RedisStateGuard guard;
    private final Workers workers;
    private final ProcessorListener metrics;
    private final long tickNanos;
    private final long renewNanos;
    private final long leaseTtlMs;
    private final long memberTimeoutMs;

    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean registered;
    /** Why applying is paused (an evicting maxmemory-policy), or null. */
    private volatile String pausedFor;
    private long nextTick;
    private long lastRenew;
    /** When the last acquire or renewal reply came (nanoTime): no lease held outlives this plus the TTL. */
    private long extendedAt;
    private Set<Integer> assigned = new TreeSet<>();
    /** The loop thread's back-off after failed rounds (0 when the last round, or reconnect, cut it short). */
    private long backoffMs;
    /** Whether the last round failed: the next that does not says Redis is reachable again. */
    private boolean failing;

    public ProcessorLoop(Keys keys, int partitions, String instanceId, Membership membership, Leases leases,
                         ApplyRound round, Housekeeping housekeeping, StreamIdWatch streamIds,
                         TimeTriggerScheduler scheduler,
                         RedisStateGuard guard, ProcessorListener metrics, Function<Throwable, String> failureLine,
                         long tickMs, long leaseTtlMs, long memberTimeoutMs) {
        this.failureLine = failureLine;
        this.keys = keys;
        this.partitions = partitions;
        this.instanceId = instanceId;
        this.membership = membership;
        this.leases = leases;
        this.round = round;
        this.housekeeping = housekeeping;
        this.streamIds = streamIds;
        this.scheduler = scheduler;
        this.guard = guard;
        this.workers = new Workers();
        this.metrics = metrics;
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMs);
        this.leaseTtlMs = leaseTtlMs;
        this.memberTimeoutMs = memberTimeoutMs;
        this.renewNanos = TimeUnit.MILLISECONDS.toNanos(leaseTtlMs / 3);
    }

    @Override
    public void run() {
        // Every log line of this thread names the processor (JSON logs carry it as a field).
        MDC.put("processor", instanceId);
        try {
            loop();
            shutdown();
        } finally {
            ready = false; // also when an Error ends the thread: a loop that no longer runs is never ready
        }
    }

    private void loop() {
        while (running) {
            try {
                if (System.nanoTime() >= nextTick) {
                    tick(); // pipelines stay in flight unless leases change (see quiesce)
                    nextTick = System.nanoTime() + tickNanos;
                }
                if (pausedFor != null) {
                    sleep(TimeUnit.NANOSECONDS.toMillis(Math.max(0, nextTick - System.nanoTime())));
                    continue;
                }
                scheduler.runIfDue(workers.partitions(), this::leaseLost);
                round.run(workers.active(), this::leaseLost); // waits at most idle-poll-ms
                ready = true;
                if (failing) {
                    log.info("Redis reachable again; processing resumed");
                    failing = false;
                    backoffMs = 0;
                }
            } catch (RedisException | IllegalStateException e) {
                if (Namespace.isNoGroup(e) && restoreGroups()) {
                    continue;
                }
                backOff(ms -> log.warn("{}; processing paused and not ready, retrying in {} ms; partitions not renewed "
                        + "within {} ms move to other processors.", failureLine.apply(e), ms, leaseTtlMs));
                if (awaitReconnect(backoffMs)) {
                    backoffMs = 0; // Redis is back: try at once, and back off from the start should it fail again
                }
            } catch (RuntimeException e) {
                // Not Redis failing: a reply this version cannot read (another program's data?) or a bug. The
                // thread must not die with it, or the processor would stay "ready" while nothing runs.
                backOff(ms -> log.error("processing failed unexpectedly ({}); paused and not ready, retrying in {} ms; "
                        + "partitions not renewed within {} ms move to other processors.", e, ms, leaseTtlMs, e));
                sleep(backoffMs);
            }
        }
    }

    /**
     * After a failed round: not ready, the back-off doubled (100 ms first, at most {@value #MAX_BACKOFF_MS}) and
     * reported to {@code report}, then the leases that expired meanwhile dropped. The caller waits it out.
     */
    private void backOff(LongConsumer report) {
        ready = false;
        failing = true;
        backoffMs = backoffMs == 0 ? 100 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        report.accept(backoffMs);
        dropExpiredLeases();
    }

    /** Asks the loop to finish the round in hand, release its leases and leave. */
    public void stop() {
        running = false;
    }

    public boolean ready() {
        return ready && registered && running && pausedFor == null;
    }

    /** Why the loop does not apply now although Redis answers (an evicting maxmemory-policy), or null. */
    public String pausedFor() {
        return pausedFor;
    }

    public Set<Integer> owned() {
        return workers.partitions();
    }

    /** Owned partitions that cannot progress right now, and why; safe to read from any thread. */
    public Map<Integer, PartitionHalts.Halt> halted() {
        return round.halts().current();
    }

    private void tick() {
        pause(guard.pauseReason());
        // Owners are read before the heartbeat: an owner missing from the live members seen after it
        // was seen holding its lease has missed heartbeats for the whole member timeout.
        Map<Integer, String> owners = leases.owners(partitions);
        Membership.View view = membership.beat();
        registered = true;
        Map<Integer, String> liveOwners = new HashMap<>();
        owners.forEach((p, owner) -> {
            if (view.live().contains(owner)) {
                liveOwners.put(p, owner);
            }
        });
        Set<Integer> mine = StickyAssignor.assign(view.live(), partitions, liveOwners)
                .getOrDefault(instanceId, Set.of());
        if (!mine.equals(assigned)) {
            assigned = new TreeSet<>(mine);
            metrics.rebalance();
            log.info("assignment: {} of {} partitions for {} ({} live processors): {}", mine.size(), partitions,
                    instanceId, view.live().size(), mine);
        }
        Set<Integer> drop = new TreeSet<>(workers.partitions());
        drop.removeAll(mine);
        Map<Integer, String> wanted = wanted(mine, owners, liveOwners);
        if (!drop.isEmpty() || !wanted.isEmpty()) {
            quiesce();
            releaseUnassigned(drop);
            acquire(wanted);
        }
        renewIfDue();
        guard.restore(workers.partitions());
        if (pausedFor == null) {
            housekeeping.run(workers.partitions(), view.live(), this::leaseLost);
            streamIds.run(workers.partitions());
        }
        metrics.partitionsOwned(workers.size());
    }

    /**
     * Stops (or resumes) applying. Leases and heartbeats go on while paused: every processor of the
     * namespace sees the same Redis policy, so handing partitions over would only move the pause and
     * cost a rebalance, and keeping them lets applying resume within a tick of the fix.
     */
    private void pause(String reason) {
        if (reason != null && pausedFor == null) {
            quiesce(); // the rounds in flight complete and are accounted for before the pause
        }
        pausedFor = reason;
    }

    /** After NOGROUP: restores the lost groups at once; false when none was missing (a real failure). */
    private boolean restoreGroups() {
        try {
            return guard.restore(workers.partitions());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Waits for every script in flight, so that none is in flight while a lease changes hands. */
    private void quiesce() {
        round.drain();
        scheduler.drain(this::leaseLost);
    }

    private void releaseUnassigned(Set<Integer> drop) {
        if (drop.isEmpty()) {
            return;
        }
        drop.forEach(workers::remove);
        drop.forEach(round::forget);
        Set<Integer> released = leases.release(drop);
        released.forEach(metrics::leaseReleased);
        log.info("released partitions {} (rebalance)", drop);
    }

    /**
     * Assigned partitions this processor does not work on yet whose lease is free, its own, or held by
     * a silent owner (one membership dropped), mapped to that silent owner's lease value or "".
     * A live owner's lease is never taken; it releases the partition itself when the assignment moves it.
     */
    private Map<Integer, String> wanted(Set<Integer> mine, Map<Integer, String> owners, Map<Integer, String> liveOwners) {
        Map<Integer, String> wanted = new TreeMap<>();
        for (int p : mine) {
            String owner = owners.get(p);
            if (workers.owns(p) || liveOwners.containsKey(p) && !owner.equals(leases.value())) {
                continue;
            }
            wanted.put(p, owner == null || owner.equals(leases.value()) ? "" : owner);
        }
        return wanted;
    }

    private void acquire(Map<Integer, String> wanted) {
        if (wanted.isEmpty()) {
            return;
        }
        Set<Integer> got = leases.acquire(wanted);
        if (!got.isEmpty()) {
            extendedAt = System.nanoTime();
        }
        Map<Integer, String> fromSilent = new TreeMap<>();
        for (int p : got) {
            workers.add(p);
            metrics.leaseAcquired(p);
            if (!wanted.get(p).isEmpty()) {
                // another program may have written the value: no line break, no megabyte into the log
                fromSilent.put(p, ForeignText.printable(wanted.get(p), 100));
            }
        }
        if (!fromSilent.isEmpty()) {
            log.info("took over partitions {} from processors silent for {} ms or more (member-timeout-ms), before "
                    + "their leases expired: {}", fromSilent.keySet(), memberTimeoutMs, fromSilent);
        }
        if (!got.isEmpty()) {
            log.info("acquired partitions {}", got);
        }
    }

    private void renewIfDue() {
        long now = System.nanoTime();
        if (now - lastRenew < renewNanos || workers.size() == 0) {
            return;
        }
        Set<Integer> held = workers.partitions();
        Set<Integer> kept = leases.renew(held);
        lastRenew = now;
        extendedAt = System.nanoTime();
        for (int p : held) {
            if (!kept.contains(p)) {
                leaseLost(p);
            }
        }
    }

    /**
     * While failures keep the tick from renewing: once the TTL has passed since a lease was last acquired or
     * renewed, every lease held has expired in Redis (another processor may own the partition now), so this
     * one stops claiming them in {@link #owned()} and the owned gauge; it acquires them again when the
     * assignment says so.
     */
    private void dropExpiredLeases() {
        if (workers.size() == 0 || System.nanoTime() - extendedAt <= TimeUnit.MILLISECONDS.toNanos(leaseTtlMs)) {
            return;
        }
        workers.partitions().forEach(this::leaseLost);
        metrics.partitionsOwned(0);
    }

    private void leaseLost(int partition) {
        if (workers.remove(partition)) {
            round.forget(partition);
            metrics.leaseLost(partition);
            MDC.put("partition", Integer.toString(partition));
            log.warn("partition {}: lease lost (ttl {} ms); another processor owns it now or it expired while this "
                    + "one was paused or cut off from Redis. Stopped working on it.", partition, leaseTtlMs);
            MDC.remove("partition");
        }
    }

    private void shutdown() {
        Set<Integer> held = workers.partitions();
        try {
            quiesce();
            held.forEach(workers::remove);
            held.forEach(round::forget);
            leases.release(held);
            membership.leave();
            log.info("released partitions {} and left {}", held, keys.members());
        } catch (RuntimeException e) {
            log.warn("could not release leases at shutdown ({}); they expire after {} ms", failureLine.apply(e), leaseTtlMs);
        } finally {
            round.close();
        }
        metrics.partitionsOwned(0);
    }

    /** Waits out a back-off, ending early when the hot path's lost connection opens again. */
    private boolean awaitReconnect(long ms) {
        try {
            return round.awaitReconnect(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
