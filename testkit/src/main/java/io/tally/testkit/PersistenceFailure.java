package io.tally.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * A Redis whose save to disk failed, as with a full disk: with {@code stop-writes-on-bgsave-error} (the
 * default) and save points, it refuses writes and PING with {@code MISCONF} until a save succeeds or the
 * save points are removed. The server must run with {@code --enable-protected-configs yes} (its
 * directory is changed to one that is then removed, so that the snapshot cannot be created).
 */
public final class PersistenceFailure {
    private PersistenceFailure() {
    }

    /** Makes {@code redis}'s next BGSAVE fail and waits until Redis reports it (its writes refused). */
    public static void induce(RedisServer redis) {
        try {
            Path gone = Files.createTempDirectory("redis-unwritable");
            expectOk(redis.cli("CONFIG", "SET", "dir", gone.toString()));
            Files.delete(gone);
            expectOk(redis.cli("CONFIG", "SET", "save", "3600 1"));
            redis.cli("BGSAVE");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (!redis.cli("INFO", "persistence").contains("rdb_last_bgsave_status:err")) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("Redis on port " + redis.port() + " did not fail its BGSAVE");
                }
                Pause.ms(20);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lifts the refusal: without save points Redis takes writes whatever its last save did. */
    public static void lift(RedisServer redis) {
        expectOk(redis.cli("CONFIG", "SET", "save", ""));
    }

    private static void expectOk(String reply) {
        if (!"OK".equals(reply)) {
            throw new IllegalStateException("Redis answered " + reply);
        }
    }
}
