package io.tally.app.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.function.Consumer;

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

    /**
     * Until the returned handle is closed, SIGINT and SIGTERM call {@code handler} with the exit code a
     * shell gives a process the signal ended (128 + its number: 130 for SIGINT, 143 for SIGTERM) instead
     * of ending the JVM; closing restores the handlers that were there before.
     */
    static Interception intercept(Consumer<Integer> handler) {
        SignalHandler onSignal = signal -> handler.accept(128 + signal.getNumber());
        Signal term = new Signal("TERM");
        Signal intr = new Signal("INT");
        SignalHandler oldTerm = Signal.handle(term, onSignal);
        SignalHandler oldInt = Signal.handle(intr, onSignal);
        return () -> {
            Signal.handle(term, oldTerm);
            Signal.handle(intr, oldInt);
        };
    }

    /** Restores the signal handlers {@link #intercept} replaced. */
    interface Interception extends AutoCloseable {
        @Override
        void close();
    }
}
