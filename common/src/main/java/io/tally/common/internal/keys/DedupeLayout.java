package io.tally.common.internal.keys;

import io.tally.common.config.ConfigException;

/**
 * Where a namespace keeps the operation ids its producers have seen, by the layout its {@code <ns>:meta}
 * names in field {@value #FIELD} (docs/wire-format.md, "Operation ids"):
 * <ul>
 *   <li>no field (namespaces created before the layout existed): a string key per id, with the dedupe
 *       window as its expiry. A send with an id costs Redis a key, its expiry and a command of its own;</li>
 *   <li>{@value #BUCKETS_V1}: fields of hashes per stream, one per dedupe window ({@link Keys#dedupeBucketPrefix}):
 *       a call looks its ids up in the current bucket and the one before, and in the one after only when it
 *       exists (Redis's clock stepped back), and writes them into the current one.</li>
 * </ul>
 * The layout is fixed when the namespace is created: producers of one namespace must agree on it, or a
 * retry through another producer would not find its id.
 */
public enum DedupeLayout {
    /** A key per id: namespaces whose meta names no layout. */
    KEY_PER_ID(null),
    /** Bucket hashes per stream: what a new namespace gets. */
    BUCKETS_V1("buckets-v1");

    /** Field of {@code <ns>:meta} naming the layout; absent for {@link #KEY_PER_ID}. */
    public static final String FIELD = "dedupe";

    private final String stored;

    DedupeLayout(String stored) {
        this.stored = stored;
    }

    /** The name stored in meta, or null for {@link #KEY_PER_ID}. */
    public String stored() {
        return stored;
    }

    /**
     * The layout a namespace's meta names.
     *
     * @param stored the meta's {@value #FIELD} field, null when absent
     * @throws ConfigException when this version does not know it: a producer would look for ids where the
     *                         others do not keep them
     */
    public static DedupeLayout of(String stored, String namespace, String metaKey) {
        if (stored == null) {
            return KEY_PER_ID;
        }
        if (stored.equals(BUCKETS_V1.stored)) {
            return BUCKETS_V1;
        }
        throw new ConfigException("Namespace '" + namespace + "' names dedupe layout '" + stored + "' (field " + FIELD
                + " of " + metaKey + "), which this Tally version does not know, so it cannot find the operation ids "
                + "other producers keep. Run a Tally version that knows it (docs/wire-format.md lists the layouts).");
    }
}
