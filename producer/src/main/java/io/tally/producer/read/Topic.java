package io.tally.producer.read;

/** The two input streams of a partition, named as in the checkpoint hash. */
public enum Topic {
    OPS("ops"), EVENTS("events");

    private final String wireName;

    Topic(String wireName) {
        this.wireName = wireName;
    }

    /** {@code ops} or {@code events}: the checkpoint field and the {@code source} of a dead letter. */
    public String wireName() {
        return wireName;
    }

    /** The topic named {@code ops} or {@code events}, or null. */
    public static Topic fromWire(String name) {
        for (Topic t : values()) {
            if (t.wireName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
