package io.tally.processor.internal.apply;

/**
 * Where a partition's worker is in one input stream. A new owner first claims every consumer's
 * pending entries (CLAIM), then re-reads its own pending entries in order (PENDING), then reads new
 * entries (LIVE). A gap sends it back to CLAIM.
 */
final class StreamCursor {
    enum Mode { CLAIM, PENDING, LIVE }

    final String topic;
    Mode mode = Mode.CLAIM;
    /** Claim cursor in CLAIM, last pending id read in PENDING. */
    String position = "0-0";

    StreamCursor(String topic) {
        this.topic = topic;
    }

    void restartRecovery() {
        mode = Mode.CLAIM;
        position = "0-0";
    }

    void claimed(String next) {
        if ("0-0".equals(next)) {
            mode = Mode.PENDING;
        }
        position = next;
    }

    /** Reads this consumer's own pending entries after {@code id} next (a batch applied only up to it). */
    void pendingAfter(String id) {
        mode = Mode.PENDING;
        position = id;
    }

    /** The cursor the apply script takes: '>' for new entries, else the last pending id read. */
    String readCursor() {
        return mode == Mode.LIVE ? ">" : position;
    }

    void read(int count, String last) {
        if (mode == Mode.PENDING) {
            if (count == 0) {
                mode = Mode.LIVE;
            } else {
                position = last;
            }
        }
    }
}
