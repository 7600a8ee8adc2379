package io.tally.producer.read;

/** The two input streams of a partition, named as in the checkpoint hash. */
public enum Topic {
    /** The {@code ops} stream: counter operations. */
    OPS("ops"),
    /** The {@code events} stream: events. */
    EVENTS("events");

    private final String wireName;

    Topic(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name in the checkpoint hash and as the {@code source} of a dead letter.
     *
     * @return {@code ops} or {@code events}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * The topic of a wire name.
     *
     * @param name {@code ops} or {@code events}
     * @return the topic, or null for any other name
     */
    public static Topic fromWire(String name) {
        for (Topic t : values()) {
            if (t.wireName.equals(name)) {
                return t;
            }
        }
        return null;
    }
}
