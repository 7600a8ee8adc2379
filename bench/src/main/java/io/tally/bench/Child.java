package io.tally.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A JVM child process of the bench (a processor or a producer), its output in a log file, with the
 * measurements taken from outside: CPU time from {@code /proc/<pid>/stat} and peak heap use sampled
 * by {@code jstat -gc}.
 */
final class Child implements AutoCloseable {
    private static final long CLK_TCK = 100; // USER_HZ on Linux

    final String name;
    final Process process;
    final Path log;
    private Process jstat;
    private volatile long maxHeapKb;

    private Child(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static Child start(String name, List<String> command, Path dir) {
        return start(name, command, Map.of(), dir);
    }

    /** Starts the command with these variables added to the bench's environment. */
    static Child start(String name, List<String> command, Map<String, String> env, Path dir) {
        Path log = dir.resolve(name + ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            return new Child(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /**
     * {@code java -Xmx256m ...} with the same JVM as the bench, and the bench's own {@code tally.*}
     * system properties (the tuning keys, e.g. {@code -Dtally.fast-path-min-read=1}) passed on, so
     * that one flag to the bench reaches every processor and producer it starts.
     */
    static List<String> java(String... rest) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        System.getProperties().stringPropertyNames().stream().filter(p -> p.startsWith("tally.")).sorted()
                .forEach(p -> cmd.add("-D" + p + "=" + System.getProperty(p)));
        cmd.addAll(List.of(rest));
        return cmd;
    }

    long pid() {
        return process.pid();
    }

    /** Process CPU time (user + system) so far, seconds. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields after the command: state(3) ... utime(14) stime(15) => indexes 11 and 12 here
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Starts sampling heap use (S0U+S1U+EU+OU) every 500 ms with jstat. */
    void sampleHeap() {
        try {
            jstat = new ProcessBuilder("jstat", "-gc", Long.toString(pid()), "500").redirectErrorStream(true).start();
        } catch (IOException e) {
            return; // no jstat: heap is reported as unknown
        }
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(jstat.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                int[] idx = null;
                while ((line = r.readLine()) != null) {
                    String[] cols = line.trim().split("\\s+");
                    if (cols.length > 0 && cols[0].equals("S0C")) {
                        List<String> header = List.of(cols);
                        idx = new int[]{header.indexOf("S0U"), header.indexOf("S1U"), header.indexOf("EU"), header.indexOf("OU")};
                    } else if (idx != null && cols.length > 8) {
                        double used = 0;
                        for (int i : idx) {
                            used += Double.parseDouble(cols[i]);
                        }
                        maxHeapKb = Math.max(maxHeapKb, (long) used);
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // the sampled process ended
            }
        }, "jstat-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Peak heap use seen by jstat, MB, or NaN when unknown. */
    double maxHeapMb() {
        return maxHeapKb == 0 ? Double.NaN : maxHeapKb / 1024.0;
    }

    /** Peak resident set size of the process (VmHWM), MB. */
    double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // gone
        }
        return Double.NaN;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM (graceful). */
    void term() {
        process.destroy();
    }

    /** SIGKILL. */
    void kill() {
        process.destroyForcibly();
    }

    /** SIGSTOP: the JVM freezes with its leases and connections. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT. */
    void resume() {
        signal("CONT");
    }

    private void signal(String sig) {
        try {
            new ProcessBuilder("kill", "-" + sig, Long.toString(pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for exit; returns the exit code or throws with the log's tail. */
    int await(long timeoutMs) {
        try {
            if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                kill();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(name + " did not exit within " + timeoutMs + " ms; log tail:\n" + tail());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGTERMs every child, then waits for each to exit cleanly (throwing, with its log, when one does not). */
    static void stopAll(List<Child> children) {
        children.forEach(Child::term);
        for (Child c : children) {
            int code = c.await(30_000);
            if (code != 0 && code != 143) { // 143 = 128 + SIGTERM: the JVM's code after its shutdown hooks ran
                throw new IllegalStateException(c.name + " exited with " + code + " on SIGTERM:\n" + c.tail());
            }
        }
    }

    void requireAlive() {
        if (!alive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log tail:\n" + tail());
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        if (jstat != null) {
            jstat.destroyForcibly();
        }
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static String classpath() {
        return System.getProperty("java.class.path");
    }

    static String pathSeparator() {
        return File.pathSeparator;
    }
}
