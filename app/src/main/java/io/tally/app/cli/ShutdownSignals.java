package io.tally.app.cli;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful stop that the main thread performs, so that a stopped
 * processor exits with code 0 (a JVM ended by a signal through shutdown hooks exits with 143).
 */
public final class ShutdownSignals {
    private ShutdownSignals() {
    }

    public static void onTermOrInt(Runnable action) {
        Signal.handle(new Signal("TERM"), signal -> action.run());
        Signal.handle(new Signal("INT"), signal -> action.run());
    }
}
