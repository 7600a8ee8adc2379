package io.tally.testkit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * The crash harness shared by every SIGKILL scenario: a set of processor JVMs on one namespace, with
 * the fault injection that replaces a random one with a fresh process every few seconds.
 */
public final class ProcessorFleet implements AutoCloseable {
    private final String prefix;
    private final String redisUrl;
    private final String namespace;
    private final List<String> args;
    private final List<ProcessorProcess> running = new ArrayList<>();
    private Path logDir;
    private int started;

    /**
     * @param prefix   name prefix of the processes (each gets a number)
     * @param args     processor flags besides Redis URL and namespace, e.g. a short lease TTL
     */
    public ProcessorFleet(String prefix, String redisUrl, String namespace, List<String> args) {
        this.prefix = prefix;
        this.redisUrl = redisUrl;
        this.namespace = namespace;
        this.args = List.copyOf(args);
    }

    /** Keeps the logs of the processors started from now on in {@code dir} (null: temporary logs). */
    public ProcessorFleet logsIn(Path dir) {
        this.logDir = dir;
        return this;
    }

    /** Starts {@code count} more processors. */
    public ProcessorFleet start(int count) {
        for (int i = 0; i < count; i++) {
            running.add(ProcessorProcess.start(prefix + ++started, redisUrl, namespace, args, Map.of(), logDir));
        }
        return this;
    }

    /** Throws, with its log, when a processor of the fleet has exited. */
    public void requireAllAlive() {
        for (ProcessorProcess p : running) {
            if (!p.isAlive()) {
                throw new IllegalStateException("processor " + p.name() + " exited; its log:\n" + p.log());
            }
        }
    }

    /**
     * While {@code busy} holds, and at least {@code minKills} times, waits {@code minGapMs} plus up to
     * {@code jitterMs}, then SIGKILLs a random processor and starts a new one in its place.
     *
     * @return the number of processors killed
     */
    public int killAndReplaceWhile(BooleanSupplier busy, int minKills, long minGapMs, int jitterMs, Random random) {
        int kills = 0;
        while (busy.getAsBoolean() || kills < minKills) {
            RedisServer.sleep(minGapMs + random.nextInt(jitterMs));
            killOneAndReplace(random);
            kills++;
        }
        return kills;
    }

    /** SIGKILLs a random processor and starts a new one in its place. */
    public void killOneAndReplace(Random random) {
        ProcessorProcess victim = running.remove(random.nextInt(running.size()));
        victim.kill();
        victim.close();
        start(1);
    }

    /** SIGSTOPs a random processor for {@code ms}, then SIGCONTs it: a zombie that wakes up with stale leases. */
    public void pauseOne(long ms, Random random) {
        ProcessorProcess victim = running.get(random.nextInt(running.size()));
        victim.pause();
        try {
            RedisServer.sleep(ms);
        } finally {
            victim.resume();
        }
    }

    /** SIGKILLs every processor (their leases stay until they expire). */
    public void killAll() {
        running.forEach(ProcessorProcess::kill);
    }

    public List<ProcessorProcess> processes() {
        return List.copyOf(running);
    }

    @Override
    public void close() {
        running.forEach(ProcessorProcess::close);
        running.clear();
    }
}
