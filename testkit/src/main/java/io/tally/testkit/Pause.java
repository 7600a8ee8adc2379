package io.tally.testkit;

/** Sleeps for tests that pace their own load or wait out a fixed interval (no condition to poll). */
public final class Pause {
    private Pause() {
    }

    /** Sleeps {@code ms} milliseconds; an interrupt ends it early and stays set on the thread. */
    public static void ms(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
