package io.tally.producer.internal;

import org.redisson.client.RedisException;

/**
 * Redis's MISCONF: its last save to disk failed (a full disk, a directory it may not write) and, with
 * {@code stop-writes-on-bgsave-error}, it refuses every write until a save succeeds. Nothing was written;
 * Redisson has no type for it.
 */
final class SaveFailedRefusal extends RedisException {
    static final String CODE = "MISCONF";

    SaveFailedRefusal(String reply) {
        super(reply);
    }
}
