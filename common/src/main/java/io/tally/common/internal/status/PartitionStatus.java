package io.tally.common.internal.status;

import java.util.List;
import java.util.Optional;

/**
 * One partition as Redis sees it at {@code redisTimeMs}, whether or not a live processor owns it.
 *
 * @param partition  partition number
 * @param owner      the lease value ({@code <processor id>:<token>}), empty when no processor holds it
 * @param dlqLength  entries in the partition's dead-letter stream
 * @param redisTimeMs Redis's clock when the status was read (epoch ms)
 * @param topics     the input streams, {@code ops} then {@code events}
 * @param halt       why the owner reports the partition halted (its {@code halt} hash), empty when it is not
 */
public record PartitionStatus(int partition, Optional<String> owner, long dlqLength, long redisTimeMs,
                              List<TopicStatus> topics, Optional<Halt> halt) {

    /**
     * A halt as its processor recorded it in the partition's {@code halt} hash. Every field comes from
     * Redis, where any writer may put anything: print them escaped.
     *
     * @param reason    {@code unknown_version}, {@code poison_retrying}, {@code redis_refused},
     *                  {@code stream_id_exhausted}
     * @param sinceMs   when the halt began (epoch ms; -1 when the field is not a number)
     * @param detail    what the processor saw
     * @param processor the processor that reported it
     */
    public record Halt(String reason, long sinceMs, String detail, String processor) {
    }

    /**
     * One input stream of a partition, for the consumer group {@code tally}.
     *
     * @param topic           {@code ops} or {@code events}
     * @param length          entries in the stream (XLEN)
     * @param lag             entries not yet delivered to the group (XINFO GROUPS lag)
     * @param lagExact        false when Redis could not count the lag (after deletions inside the
     *                        stream); {@code lag} is then the stream length, an upper bound
     * @param pending         entries delivered but not yet acknowledged
     * @param oldestPendingMs id time of the oldest pending entry (epoch ms), -1 when none is pending
     * @param lastDeliveredId the group's last delivered id, empty before the group exists
     * @param checkpoint      the last applied id, empty before the first apply
     */
    public record TopicStatus(String topic, long length, long lag, boolean lagExact, long pending,
                              long oldestPendingMs, String lastDeliveredId, String checkpoint) {

        /** Entries not yet applied: not delivered plus delivered and not acknowledged. */
        public long backlog() {
            return lag + pending;
        }

        /** Seconds the oldest pending entry has waited since Redis appended it (0 when none). */
        public double oldestPendingAgeSeconds(long redisTimeMs) {
            return oldestPendingMs < 0 ? 0 : Math.max(0, redisTimeMs - oldestPendingMs) / 1000.0;
        }
    }

    public TopicStatus topic(String name) {
        return topics.stream().filter(t -> t.topic().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no topic " + name));
    }
}
