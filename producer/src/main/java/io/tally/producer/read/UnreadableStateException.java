package io.tally.producer.read;

import java.util.Optional;

/**
 * A read found a key that another program wrote in a form Tally cannot read: a counter value or series bucket
 * that is not a canonical signed 64-bit integer (as Redis's own HINCRBY reads one: no {@code +}, no leading
 * zeros, no {@code -0}, in range), a unique count that is not a HyperLogLog, a checkpoint that is not a stream id,
 * or a key of another type. Tally never guesses a number from such a value; retrying cannot help until the key
 * is repaired (docs/operations.md).
 */
public final class UnreadableStateException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private static final int MAX_SHOWN = 100;

    private final String counter;
    private final String key;

    /**
     * @param counter the counter whose state it is, or null when the key is not one counter's (a checkpoint)
     * @param key     the Redis key at fault
     * @param problem what is wrong with it, e.g. {@code its value '007' is not a canonical 64-bit integer}
     * @param cause   Redis's error, when it found the fault, or null
     */
    public UnreadableStateException(String counter, String key, String problem, Throwable cause) {
        super((counter == null ? "" : "counter '" + shown(counter) + "': ") + problem + " (key " + shown(key)
                + "); stored in a form Tally cannot read, by a program other than Tally", cause);
        this.counter = counter;
        this.key = key;
    }

    /**
     * The counter whose state it is.
     *
     * @return the counter, or empty when the key is not one counter's (a checkpoint)
     */
    public Optional<String> counter() {
        return Optional.ofNullable(counter);
    }

    /**
     * The Redis key at fault.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * A stored value as a message may quote it: control characters as {@code \\uXXXX}, cut after 100 characters.
     *
     * @param value text another program stored
     * @return the text to show
     */
    public static String shown(String value) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (; i < value.length() && b.length() < MAX_SHOWN; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return i < value.length() ? b + "..." : b.toString();
    }
}
