package io.tally.processor.internal.housekeeping;

import org.redisson.api.RFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The replies of one housekeeping pipeline, read one by one: Redis runs every script of a pipeline even
 * when it refuses one (a key another program gave another type), so the others' replies still count,
 * and a refused script costs only its own step. The refusals are logged once per run, by partition.
 */
final class StepReplies {
    private static final Logger log = LoggerFactory.getLogger(StepReplies.class);
    private final Map<Integer, String> refused = new TreeMap<>();

    /** The script's reply, or null when Redis refused it (noted for {@link #logRefusals()}). */
    List<Object> reply(int partition, String what, RFuture<List<Object>> future) {
        CompletableFuture<List<Object>> f = future.toCompletableFuture();
        if (!f.isDone()) {
            refused.putIfAbsent(partition, what + ": no reply");
            return null;
        }
        try {
            return f.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            refused.putIfAbsent(partition, what + ": " + cause.getMessage());
            return null;
        }
    }

    void logRefusals() {
        refused.forEach((p, why) -> log.warn("housekeeping of partition {} failed ({}); its other steps and the other "
                + "partitions' ran, this one is tried again at the next run", p, why));
    }
}
