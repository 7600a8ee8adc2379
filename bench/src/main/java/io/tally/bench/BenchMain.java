package io.tally.bench;

import io.tally.testkit.RedisCluster;
import io.tally.testkit.RedisServer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code java -jar bench/target/tally-bench.jar [--redis-url URL] [--runs N] [--scale F] [--scenarios ...]}:
 * the benchmark suite of issue 6. Starts its own {@code redis-server} on a free port in a temporary
 * folder unless {@code --redis-url} is given (then it creates and deletes only namespaces named
 * {@code bench-*} of its own), runs the scenarios {@code --runs} times, checks every scenario's
 * counters exactly, and prints the table of medians (min - max) against the targets.
 * Exit code 0 when every scenario completed and verified, 1 otherwise, 2 on bad usage.
 */
@Command(name = "tally-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Tally benchmark suite: drain, steady, latency, takeover, producer, baselines, memory; "
                + "on request, hostile (the chaos run) and kafka (Kafka's producer and Streams on the same workload).")
public final class BenchMain implements Callable<Integer> {
    /** Every scenario, in the order they run. */
    static final List<String> ALL = Scenarios.NAMES;
    /**
     * The performance suite run when no --scenarios is given: hostile is a correctness run, kafka the
     * anchor (a bench built with -Pkafka) and lettuce-drain a client comparison, all asked for by name.
     */
    static final List<String> DEFAULT = ALL.stream()
            .filter(s -> !s.equals("hostile") && !s.equals("kafka") && !s.equals("lettuce-drain")).toList();

    /** Scenarios that run on a cluster ({@code --cluster}): their observers and loads route by slot. */
    static final List<String> ON_CLUSTER = List.of("drain", "steady", "producer");

    @Option(names = "--redis-url", description = "Redis to use (password from TALLY_REDIS_PASSWORD); default: start a redis-server of its own.")
    String redisUrl;
    @Option(names = "--cluster", paramLabel = "N", defaultValue = "0", description = "Start a local Redis Cluster of "
            + "N masters (no replicas, N >= 3) instead of one redis-server; the processors run in cluster mode. "
            + "Scenarios: " + "drain, steady, producer.")
    int clusterMasters;
    @Option(names = "--runs", defaultValue = "3", description = "Runs of each scenario (default ${DEFAULT-VALUE}).")
    int runs;
    @Option(names = "--scale", defaultValue = "1.0", description = "Multiplier of every count and duration (default ${DEFAULT-VALUE}; 0.005 for a smoke run).")
    double scale;
    @Option(names = "--scenarios", split = ",", description = "Comma-separated subset of "
            + "drain,steady,latency,takeover,producer,baselines,memory,hostile,kafka,lettuce-drain (default: all but hostile, "
            + "kafka and lettuce-drain; "
            + "kafka needs the bench built with -Pkafka, which bench/run.sh does when asked for it).")
    List<String> scenarios = new ArrayList<>(DEFAULT);
    @Option(names = "--memory-minutes", defaultValue = "0", description = "Length of the steady memory run in minutes (0: 60 s x scale; the issue's long version is 10).")
    double memoryMinutes;
    @Option(names = "--lease-ttl-ms", defaultValue = "0", description = "Lease TTL of the processors (0: their default, 10000).")
    int leaseTtlMs;
    @Option(names = "--rate", defaultValue = "50000", description = "Full rate used by latency, takeover and memory when steady is not run (they use half).")
    double rate;
    @Option(names = "--processor-jar", description = "The tally jar that runs the processors (default: app/target/tally.jar next to this jar's module); "
            + "hostile runs its processors from this command's own class path.")
    Path processorJar;
    @Option(names = "--jfr", description = "Record a JFR profile of the drain processor into the work folder.")
    boolean jfr;
    @Option(names = "--work-dir", description = "Folder for logs and results (default: a new temporary folder).")
    Path workDir;
    @Option(names = "--keep", description = "Keep the work folder (logs, producer results, JFR, commandstats).")
    boolean keep;
    @Option(names = "--out", description = "Also write the report (machine, load, table) to this markdown file.")
    Path out;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return new CommandLine(new BenchMain()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        requireKnownScenarios();
        Path dir = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("tally-bench-");
        String loadStart = loadAverage();
        String started = ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        // The test kit's launcher: a redis-server on a free port, its folder and log kept in the work folder.
        RedisCluster cluster = clusterMasters > 0 ? RedisCluster.start(clusterMasters, 0) : null;
        RedisServer redis = redisUrl == null && cluster == null ? RedisServer.startIn(dir.resolve("redis")) : null;
        String url = cluster != null ? cluster.seedUrls() : redis != null ? redis.url() : redisUrl;
        Results results = new Results();
        results.takeoverTarget((leaseTtlMs > 0 ? leaseTtlMs : 10_000) + 1000);
        BenchContext ctx = new BenchContext(url, redis != null, scale, dir, resolveProcessorJar(), leaseTtlMs, jfr,
                memoryMinutes, rate, results);
        ctx.cluster = cluster;
        List<String> failures = new ArrayList<>();
        BenchContext.log("work folder %s, Redis %s, %d run(s), scale %s, load average %s", dir, url, runs, scale, loadStart);
        try {
            for (int run = 1; run <= runs; run++) {
                runAll(ctx, run, failures);
                ratios(results, run);
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
        publish(report(results, started, loadStart, loadAverage(), url, failures), dir, failures.isEmpty());
        return failures.isEmpty() ? 0 : 1;
    }

    /** Prints the report (and writes it to {@code --out}); keeps the work folder when asked or when a run failed. */
    private void publish(String report, Path dir, boolean passed) throws IOException {
        System.out.println();
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report);
        }
        if (!keep && workDir == null && passed) {
            deleteTree(dir);
        } else {
            BenchContext.log("logs kept in %s", dir);
        }
    }

    private void requireKnownScenarios() {
        if (clusterMasters > 0 && scenarios.equals(DEFAULT)) {
            scenarios = new ArrayList<>(ON_CLUSTER);
        }
        for (String s : scenarios) {
            if (!ALL.contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "Unknown scenario '" + s + "'; known: " + ALL);
            }
            if (clusterMasters > 0 && !ON_CLUSTER.contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "Scenario '" + s
                        + "' does not run on a cluster; with --cluster choose from " + ON_CLUSTER);
            }
        }
        if (clusterMasters > 0 && (clusterMasters < 3 || redisUrl != null)) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--cluster takes at least 3 masters and starts them itself (no --redis-url)");
        }
    }

    /** Runs each chosen scenario once, in the suite's order; a failure is recorded and the next one runs. */
    private void runAll(BenchContext ctx, int run, List<String> failures) {
        for (String s : ALL) {
            if (!scenarios.contains(s)) {
                continue;
            }
            BenchContext.log("run %d: %s (load %s)", run, s, loadAverage());
            try {
                Scenarios.create(s, ctx).run(run);
            } catch (Exception | AssertionError e) {
                failures.add("run " + run + " " + s + ": " + e.getMessage());
                BenchContext.log("FAILED run %d %s: %s", run, s, e);
                e.printStackTrace(System.out);
            }
        }
    }

    /** The drain rate of this run against the baselines of this run (so the machine's load cancels out). */
    private static void ratios(Results results, int run) {
        ratio(results, run, "ratio.naive", "drain.ops", "baseline.naive");
        ratio(results, run, "ratio.bare", "drain.ops", "baseline.bare");
        ratio(results, run, "ratio.session_plain", "producer.session", "producer.plain");
        ratio(results, run, "ratio.ids_plain", "producer.idem", "producer.plain");
        ratio(results, run, "ratio.kafka_producer", "producer.session", "kafka.producer");
        ratio(results, run, "ratio.kafka_streams_eos", "drain.ops", "kafka.streams_eos");
    }

    private static void ratio(Results results, int run, String ratio, String tally, String anchor) {
        List<Double> a = results.get(tally);
        List<Double> b = results.get(anchor);
        if (a.size() >= run && b.size() >= run) {
            results.put(ratio, a.get(run - 1) / b.get(run - 1));
        }
    }

    private String report(Results results, String started, String loadStart, String loadEnd, String url, List<String> failures) {
        StringBuilder sb = new StringBuilder();
        sb.append("Command: java -jar bench/target/tally-bench.jar --runs ").append(runs).append(" --scale ").append(scale)
                .append(" --scenarios ").append(String.join(",", scenarios))
                .append(clusterMasters > 0 ? " --cluster " + clusterMasters : "")
                .append(memoryMinutes > 0 ? " --memory-minutes " + memoryMinutes : "")
                .append(leaseTtlMs > 0 ? " --lease-ttl-ms " + leaseTtlMs : "")
                .append(scenarios.contains("steady") ? "" : " --rate " + (long) rate)
                .append(processorJar != null ? " --processor-jar " + processorJar : "").append('\n');
        sb.append("Started: ").append(started).append(", finished: ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        sb.append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, ")
                .append(memTotal()).append(", Java ").append(System.getProperty("java.version")).append(", ")
                .append(firstLine("redis-server", "--version")).append('\n');
        sb.append("Redis: ").append(clusterMasters > 0 ? "own Redis Cluster of " + clusterMasters
                + " masters, no replicas (persistence off, noeviction)" : redisUrl == null
                ? "own redis-server (persistence off, noeviction)" : url).append('\n');
        sb.append("Load average (1/5/15 min) at start: ").append(loadStart).append(", at end: ").append(loadEnd).append('\n');
        sb.append('\n').append(results.table());
        if (!failures.isEmpty()) {
            sb.append("\nFAILED scenarios:\n");
            failures.forEach(f -> sb.append("- ").append(f).append('\n'));
        } else {
            sb.append("\nEvery scenario completed and its counters were exact.\n");
        }
        return sb.toString();
    }

    private Path resolveProcessorJar() {
        if (processorJar != null) {
            return processorJar;
        }
        try {
            Path self = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // bench/target/tally-bench.jar or bench/target/classes -> <root>/app/target/tally.jar
            Path root = self.getParent().getParent().getParent();
            Path jar = root.resolve("app/target/tally.jar");
            return Files.isRegularFile(jar) ? jar : null;
        } catch (Exception e) {
            return null;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.1f GiB RAM", kb / 1048576.0);
                }
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return "RAM n/a";
    }

    private static String firstLine(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor(10, TimeUnit.SECONDS);
            return s.lines().findFirst().orElse("");
        } catch (IOException | InterruptedException e) {
            return cmd[0] + " n/a";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

}
