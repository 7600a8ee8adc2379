package io.tally.producer.status;

/**
 * Reads a namespace's status, as {@code tally status} shows it: every partition's owner, streams, lag,
 * pending entries, dead letters and halt, and the processors in the membership. The partition numbers
 * are those the processors export as metrics. Get one from {@link io.tally.producer.Tally#status()}.
 */
public interface StatusReader {

    /**
     * Takes a snapshot: each partition is consistent in itself; partitions are read one after another.
     *
     * @return the namespace's status
     */
    NamespaceStatus read();
}
