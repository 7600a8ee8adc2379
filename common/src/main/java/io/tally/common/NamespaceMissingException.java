package io.tally.common;

/**
 * The namespace has no {@code <ns>:meta} in Redis: nothing created it yet, or Redis lost its data.
 * Only a processor and {@code tally init} create a namespace; everyone else waits for one (bounded)
 * or fails with this. Retrying makes sense once a processor runs.
 */
public final class NamespaceMissingException extends RuntimeException {
    /**
     * An exception naming the namespace, its meta key and the Redis it was looked for in.
     *
     * @param namespace the namespace
     * @param metaKey   the key that is missing
     * @param where     the Redis URL
     */
    public NamespaceMissingException(String namespace, String metaKey, String where) {
        super("namespace '" + namespace + "' does not exist in Redis at " + where + " (no key " + metaKey
                + "): start a processor or run `tally init --partitions P`; if it existed before, Redis lost "
                + "its data (see docs/runbook.md)");
    }
}
