package io.tally.common.config;

/**
 * When a producer send counts as done: once the master has the entry ({@code leader}), or once at
 * least one replica has it too ({@code replicas}, Redis WAIT), which survives a master failover.
 */
public enum Acks {
    /** Done once the master has the entry. */
    LEADER,
    /** Done once the master and at least one replica have the entry (Redis WAIT). */
    REPLICAS
}
