package io.tally.bench;

/**
 * One scenario of the suite. Each run uses a namespace of its own, puts its figures into the
 * context's {@link Results}, checks its counters exactly (throwing when they are not) and removes its
 * keys.
 */
interface Scenario {
    /** Runs the scenario once; {@code run} (from 1) goes into its namespace and seeds. */
    void run(int run) throws Exception;
}
