package io.tally.testkit;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Waiting for a deployment to settle: polls a check that says why it has not yet, and fails with its last answer. */
final class Poll {
    private static final long INTERVAL_MS = 100;

    private Poll() {
    }

    /**
     * Polls {@code whyNot} every {@value #INTERVAL_MS} ms until it returns null.
     *
     * @param what what not being reached is called in the failure, e.g. "cluster not healthy"
     * @throws IllegalStateException after {@code seconds}: "WHAT after N s: " and the last reason
     */
    static void await(Supplier<String> whyNot, int seconds, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = whyNot.get();
            if (last == null) {
                return;
            }
            RedisServer.sleep(INTERVAL_MS);
        }
        throw new IllegalStateException(what + " after " + seconds + " s: " + last);
    }
}
