package io.tally.processor;

import io.tally.common.config.TallyConfig;
import io.tally.processor.internal.RedisProcessor;

import java.util.Map;
import java.util.Set;

/**
 * A Tally processor: joins the namespace's membership, takes its share of the partitions under
 * leases, and applies their entries exactly once until {@link #close()}.
 *
 * <p>A processor owns its Redis client. It creates the namespace when it does not exist yet (with
 * {@code partitions} partitions, 16 when unset) and refuses to start on a Redis older than 7.0 or one
 * with an evicting {@code maxmemory-policy}. Run any number of processors on one namespace: they share
 * the partitions, and take over those of one that stops or dies.
 *
 * <p>{@code close()} finishes the batch in hand, releases the leases at once (so other processors
 * take over without waiting for the TTL) and leaves the membership. Instances are thread-safe.
 */
public interface Processor extends AutoCloseable {

    /**
     * Starts a processor on the configured Redis and namespace, reporting nothing.
     *
     * @param config the configuration ({@code redis-url}, {@code namespace}, {@code batch-size}, ...)
     * @return the running processor; close it to stop
     * @throws io.tally.common.config.ConfigException when the namespace exists with another partition count,
     *                                                 Redis is older than 7.0 or its maxmemory-policy may evict keys
     */
    static Processor start(TallyConfig config) {
        return start(config, ProcessorListener.NOOP);
    }

    /**
     * Starts a processor that reports what it does to {@code listener}, e.g. a
     * {@link io.tally.processor.metrics.MicrometerProcessorMetrics}.
     *
     * @param config   the configuration
     * @param listener told of applied entries, leases, halts and the rest; must be cheap and never throw
     * @return the running processor; close it to stop
     * @throws io.tally.common.config.ConfigException when the namespace exists with another partition count,
     *                                                 Redis is older than 7.0 or its maxmemory-policy may evict keys
     */
    static Processor start(TallyConfig config, ProcessorListener listener) {
        return RedisProcessor.start(config, listener);
    }

    /**
     * The processor's id: {@code processor-id}, or the host name when that is empty. Stable across
     * restarts, unlike {@link #instanceId()}; it labels the metrics.
     *
     * @return the processor id
     */
    String processorId();

    /**
     * The name of this run.
     *
     * @return {@code <processor id>:<token>}: member id, consumer name and lease value of this run
     */
    String instanceId();

    /**
     * The namespace's partition count.
     *
     * @return P, fixed once the namespace exists
     */
    int partitions();

    /**
     * The partitions this processor holds right now.
     *
     * @return a snapshot of the owned partitions
     */
    Set<Integer> ownedPartitions();

    /**
     * Owned partitions that cannot progress right now (an entry of unknown version, a batch being narrowed
     * to its poison entry, Redis refusing the scripts, a stream whose ids a writer pushed far ahead), and why.
     *
     * @return the halts by partition; empty when every owned partition progresses
     */
    Map<Integer, PartitionHalt> haltedPartitions();

    /**
     * Whether the processor is ready: Redis answers, it is registered in the membership, and applying is
     * not paused (see {@link #pausedFor()}).
     *
     * @return true when ready
     */
    boolean ready();

    /**
     * Why applying is paused although Redis answers (an evicting {@code maxmemory-policy}).
     *
     * @return the reason, or null when applying is not paused
     */
    String pausedFor();

    /**
     * Finishes the batch in hand, releases the leases, leaves the membership and closes the Redis client.
     * Waits at most about 10 seconds.
     */
    @Override
    void close();
}
