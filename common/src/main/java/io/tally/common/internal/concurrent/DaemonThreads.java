package io.tally.common.internal.concurrent;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/**
 * Tally's background threads: daemons (they never keep an application's JVM alive; each owner stops
 * its own on close) with a name saying what they do, as thread dumps and logs show it.
 */
public final class DaemonThreads {
    private DaemonThreads() {
    }

    /**
     * A factory of daemon threads that all carry this name.
     *
     * @param name e.g. {@code tally-backlog-monitor}
     * @return the factory
     */
    public static ThreadFactory named(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * A started daemon thread.
     *
     * @param name what it does, e.g. {@code tally-producer-sender}
     * @param task what it runs
     * @return the thread, running
     */
    public static Thread start(String name, Runnable task) {
        Thread t = named(name).newThread(task);
        t.start();
        return t;
    }

    /**
     * A scheduler on one daemon thread of this name.
     *
     * @param name e.g. {@code tally-lag-collector}
     * @return the scheduler
     */
    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(named(name));
    }
}
