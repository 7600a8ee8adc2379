package io.tally.producer.internal.admin;

/**
 * One dead letter that replay refused and kept, writing nothing for it: marked {@code applied}, not
 * replayable whole, or a source that is neither {@code ops} nor {@code events}. The letters after it can
 * still be replayed.
 */
public final class DeadLetterRefusedException extends IllegalStateException {
    public DeadLetterRefusedException(String message) {
        super(message);
    }
}
