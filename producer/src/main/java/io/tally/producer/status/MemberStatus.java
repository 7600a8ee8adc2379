package io.tally.producer.status;

/**
 * A live processor from the membership set.
 *
 * @param id                 instance id ({@code <processor id>:<token>})
 * @param heartbeatAgeMs     time since its last heartbeat, Redis time
 * @param partitionsOwned    partitions whose lease it holds
 */
public record MemberStatus(String id, long heartbeatAgeMs, int partitionsOwned) {
}
