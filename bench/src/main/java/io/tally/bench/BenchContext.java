package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.config.RedisMode;
import io.tally.common.internal.keys.HashSlot;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisCluster;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** What every scenario needs: the Redis under test, the options, the work folder and process launchers. */
final class BenchContext {
    final String redisUrl;
    final boolean ownsRedis;
    final double scale;
    final Path dir;
    final Path processorJar;
    final int leaseTtlMs;
    final boolean jfr;
    final double memoryMinutes;
    final Results results;
    /** Highest steady rate of one processor found in the current run; latency, takeover and memory use half. */
    double steadyRate;
    /** The bench's own Redis Cluster ({@code --cluster N}), null with a standalone Redis. */
    RedisCluster cluster;

    BenchContext(String redisUrl, boolean ownsRedis, double scale, Path dir, Path processorJar, int leaseTtlMs,
                 boolean jfr, double memoryMinutes, double defaultRate, Results results) {
        this.redisUrl = redisUrl;
        this.ownsRedis = ownsRedis;
        this.scale = scale;
        this.dir = dir;
        this.processorJar = processorJar;
        this.leaseTtlMs = leaseTtlMs;
        this.jfr = jfr;
        this.memoryMinutes = memoryMinutes;
        this.steadyRate = defaultRate;
        this.results = results;
    }

    long count(long base, long min) {
        return Math.max(min, Math.round(base * scale));
    }

    double seconds(double base, double min) {
        return Math.max(min, base * scale);
    }

    /** Length of the memory scenario's steady run: {@code --memory-minutes}, or 60 s x scale. */
    double memorySeconds() {
        return memoryMinutes > 0 ? memoryMinutes * 60 : seconds(60, 6);
    }

    /** JVM flags that record a JFR profile of a namespace's process into the work folder, with {@code --jfr}. */
    String[] jfrFlags(String namespace) {
        return jfr ? new String[]{"-XX:StartFlightRecording=filename=" + dir.resolve(namespace + ".jfr") + ",settings=profile"}
                : new String[0];
    }

    /**
     * A fresh namespace, created with {@link Workload#PARTITIONS} as {@code tally init} would: producers
     * only open an existing namespace, and some scenarios start them before any processor.
     */
    String namespace(String scenario, int run) {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        String namespace = "bench-" + scenario + "-" + run + "-" + HexFormat.of().formatHex(b);
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisUrl)
                .set(TallyConfig.REDIS_MODE, cluster != null ? RedisMode.CLUSTER : RedisMode.STANDALONE)
                .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, Workload.PARTITIONS).build();
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            Namespace.create(redis, config);
        } finally {
            redis.shutdown();
        }
        return namespace;
    }

    /** The keys of a namespace made by {@link #namespace}, with the partition tags its meta names. */
    Keys keys(String namespace) {
        String metaNode = cluster == null ? redisUrl : cluster.masterOf(HashSlot.ofKey(Keys.meta(namespace))).url();
        try (RawRedis redis = new RawRedis(metaNode)) {
            return redis.namespaceKeys(namespace);
        }
    }

    Observer observer(String namespace) {
        Keys keys = keys(namespace);
        return cluster == null ? new Observer(redisUrl, keys, Workload.PARTITIONS)
                : new Observer(partitionUrls(keys), keys, true);
    }

    /** Per partition, the URL of the node that serves its keys: the master of their slot on a Cluster. */
    List<String> partitionUrls(Keys keys) {
        List<String> urls = new ArrayList<>();
        for (int p = 0; p < Workload.PARTITIONS; p++) {
            urls.add(cluster == null ? redisUrl : cluster.masterOf(HashSlot.ofKey(keys.ops(p))).url());
        }
        return urls;
    }

    /** A processor process: {@code java -Xmx256m -jar app/target/tally.jar ...}. */
    Child processor(String id, String namespace, String... jvmFlags) {
        return processor(id, namespace, redisUrl, List.of(), jvmFlags);
    }

    /** A processor on another Redis (a scenario's own), with extra processor flags. */
    Child processor(String id, String namespace, String url, List<String> flags, String... jvmFlags) {
        List<String> cmd = new ArrayList<>(Child.java(jvmFlags));
        if (processorJar != null && Files.isRegularFile(processorJar)) {
            cmd.addAll(List.of("-jar", processorJar.toString(), "processor"));
        } else {
            cmd.addAll(List.of("-cp", Child.classpath(), "io.tally.app.runtime.ProcessorMain"));
        }
        cmd.addAll(List.of("--redis-url", url, "--namespace", namespace, "--partitions",
                Integer.toString(Workload.PARTITIONS), "--processor-id", id));
        if (leaseTtlMs > 0) {
            cmd.addAll(List.of("--lease-ttl-ms", Integer.toString(leaseTtlMs)));
        }
        if (cluster != null && url.equals(redisUrl)) {
            cmd.addAll(List.of("--redis-mode", "cluster"));
        }
        cmd.addAll(flags);
        // Several processors share this machine, and the bench reads Redis, not their metrics port: any
        // free port. Given as the variable, which every build reads, so a --processor-jar of any build runs.
        return Child.start(namespace + "-" + id, cmd, Map.of(TallyConfig.METRICS_PORT.env(), "0"), dir);
    }

    /** A producer process running {@link LoadProducer}; its results go to {@code <dir>/<name>.out}. */
    Child producer(String name, String namespace, String... args) {
        return producer(name, namespace, new String[0], args);
    }

    Child producer(String name, String namespace, String[] jvmFlags, String... args) {
        return producer(name, namespace, Map.of(), jvmFlags, args);
    }

    /** A producer process with these variables added to its environment (its TALLY_* configuration). */
    Child producer(String name, String namespace, Map<String, String> env, String[] jvmFlags, String... args) {
        if (cluster != null) {
            env = new HashMap<>(env);
            env.put(TallyConfig.REDIS_MODE.env(), "cluster");
        }
        List<String> cmd = new ArrayList<>(Child.java(jvmFlags));
        cmd.addAll(List.of("-cp", Child.classpath(), LoadProducer.class.getName(),
                "--redis-url", redisUrl, "--namespace", namespace, "--out", dir.resolve(name + ".out").toString()));
        cmd.addAll(List.of(args));
        return Child.start(name, cmd, env, dir);
    }

    Map<String, String> producerResult(String name) {
        Map<String, String> map = new HashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve(name + ".out"))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    map.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("producer " + name + " wrote no result", e);
        }
        return map;
    }

    /** Waits for a producer to finish, checks it sent without failures, and adds its sends to expected. */
    Map<String, String> finishProducer(Child producer, long[] expected, long timeoutMs) {
        int code = producer.await(timeoutMs);
        if (code != 0) {
            throw new IllegalStateException(producer.name + " exited with " + code + ":\n" + producer.tail());
        }
        Map<String, String> r = producerResult(producer.name);
        if (!"0".equals(r.get("failed"))) {
            throw new IllegalStateException(producer.name + ": " + r.get("failed") + " sends failed, first: "
                    + r.get("first_error"));
        }
        Workload.addExpected(dir.resolve(producer.name + ".out.expected"), expected);
        return r;
    }

    /**
     * Writes {@code n} workload entries straight into the namespace's ops streams with pipelined
     * XADDs (1,000 per round trip), adding them to {@code expected}. Returns entries/s.
     */
    double prefill(String namespace, long n, long seed, long[] expected) {
        Workload workload = new Workload(seed);
        String ts = Long.toString(System.currentTimeMillis());
        long start = System.nanoTime();
        // each partition's XADDs on the node serving it; replies read back in the order sent, per node
        Map<String, RawRedis> open = new HashMap<>();
        try {
            Keys keys = keys(namespace);
            List<String> urls = partitionUrls(keys);
            RawRedis[] byPartition = new RawRedis[urls.size()];
            for (int p = 0; p < urls.size(); p++) {
                byPartition[p] = open.computeIfAbsent(urls.get(p), RawRedis::new);
            }
            int[] sentTo = new int[1000];
            long sent = 0;
            while (sent < n) {
                int batch = (int) Math.min(1000, n - sent);
                for (int i = 0; i < batch; i++) {
                    Workload.Op op = workload.next();
                    expected[op.counter()] += op.delta();
                    sentTo[i] = op.partition();
                    byPartition[op.partition()].send("XADD", keys.ops(op.partition()), "*", "op", op.kind(),
                            "counter", op.name(), "by", op.by(), "ts", ts);
                }
                open.values().forEach(RawRedis::flush);
                for (int i = 0; i < batch; i++) {
                    if (byPartition[sentTo[i]].read() instanceof RawRedis.Error e) {
                        throw new IllegalStateException("prefill XADD failed: " + e.message());
                    }
                }
                sent += batch;
            }
        } finally {
            open.values().forEach(RawRedis::close);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    static void log(String fmt, Object... args) {
        System.out.printf("[bench] " + fmt + "%n", args);
    }
}
