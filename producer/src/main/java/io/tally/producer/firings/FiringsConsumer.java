package io.tally.producer.firings;

import java.time.Duration;

/**
 * Reads the {@code firings} streams of all partitions as one consumer group, at-least-once.
 *
 * <ul>
 *   <li>One thread polls every partition's stream with its own XREADGROUP (pipelined, never one
 *       cross-slot call), runs the handler on each firing in stream order, and acknowledges a firing
 *       only after the handler returned.</li>
 *   <li>Every {@code claimIdle / 2} it claims (XAUTOCLAIM) firings pending longer than {@code claimIdle}:
 *       those of a consumer that died mid-handler, and its own failed ones, which are thereby retried.</li>
 *   <li>A firing delivered more than {@code maxDeliveries} times goes to the partition's
 *       {@code firings-dlq} stream (fields {@code source_id}, {@code group}, {@code deliveries},
 *       {@code error}: the handler's last error, and the firing's fields prefixed {@code f.}) and is
 *       acknowledged. The error is kept in the partition's {@code firings-errors} hash while the firing is
 *       pending, because the consumer that dead-letters it may not be the one that failed.</li>
 *   <li>Handler exceptions, and errors such as an {@code AssertionError}, are logged and counted
 *       ({@link #failures()}), never fatal.</li>
 *   <li>A partition whose keys another program broke (a {@code firings} or {@code firings-dlq} key of
 *       another type, entries with thousands of fields) is reported in the log and never stops the other
 *       partitions; firings with ids past 2^63 are delivered like any other.</li>
 * </ul>
 * The group is created at id 0 when missing, so a new group sees firings written before it existed, and
 * again when Redis lost it (a restart without persistence, FLUSHALL).
 * Start several consumers with the same group and distinct names to share the work. Build one with
 * {@link io.tally.producer.Tally#firings(String, FiringHandler)}.
 */
public interface FiringsConsumer extends AutoCloseable {

    /**
     * Firings whose handler returned, and which were acknowledged.
     *
     * @return the count since the start
     */
    long handled();

    /**
     * Handler calls that threw.
     *
     * @return the count since the start
     */
    long failures();

    /**
     * Firings this consumer moved to the dead-letter streams.
     *
     * @return the count since the start
     */
    long deadLettered();

    /**
     * This consumer's name within its group.
     *
     * @return the name
     */
    String consumerName();

    /**
     * Stops polling and interrupts a handler still running; a firing whose handler did not return stays
     * pending and is claimed by another consumer of the group after {@code claimIdle}.
     */
    @Override
    void close();

    /** Options of a consumer; each is checked when set, and {@link #start()} starts it. */
    interface Builder {

        /**
         * This consumer's name within the group, distinct per running instance (default: random).
         *
         * @param name the name
         * @return this builder
         * @throws IllegalArgumentException when the name is blank
         */
        Builder consumerName(String name);

        /**
         * Deliveries after which a firing goes to the dead-letter stream (default 5).
         *
         * @param n at least 1
         * @return this builder
         * @throws IllegalArgumentException when {@code n} is below 1
         */
        Builder maxDeliveries(int n);

        /**
         * How long a firing stays pending before it is claimed and delivered again (default 30 s). Longer
         * than the slowest handler call, or a slow handler's firing is handled twice.
         *
         * @param d at least 10 ms
         * @return this builder
         * @throws IllegalArgumentException when {@code d} is shorter than 10 ms
         */
        Builder claimIdle(Duration d);

        /**
         * Most firings read per partition and poll (default 100).
         *
         * @param n within 1..10000
         * @return this builder
         * @throws IllegalArgumentException when {@code n} is outside 1..10000
         */
        Builder batchSize(int n);

        /**
         * Pause between polls when nothing was read (default 50 ms).
         *
         * @param d positive
         * @return this builder
         * @throws IllegalArgumentException when {@code d} is not positive
         */
        Builder pollInterval(Duration d);

        /**
         * Creates the group when missing and starts the consumer's thread.
         *
         * @return the running consumer; close it to stop
         */
        FiringsConsumer start();
    }
}
