package io.tally.it.resilience;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.it.harness.SessionProducerMain;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.ProcessorProcess;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamCreateGroupArgs;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.StringCodec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Producers in JVMs of their own send through a proxy that cuts about one append call in twenty (half
 * after Redis ran it, half before it arrived), and two of them are SIGKILLed mid-load and replaced by new
 * ones; a processor applies everything. Every send is a unique entry (its sender and number), so: no
 * entry is in a stream twice, every send a producer reported written is there with the id it reported,
 * none it reported not written is, and every counter equals the sum of its entries.
 */
@Tag("slow")
class ProducerCrashTest {
    private static final int P = 4;
    private static final int SENDS = 4000;
    private static final int RATE = 800;

    private final List<Process> producers = new ArrayList<>();
    private RedisServer server;
    private ReplyCuttingProxy proxy;
    private ProcessorProcess processor;
    private RedissonClient admin;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        producers.forEach(Process::destroyForcibly);
        if (processor != null) {
            processor.close();
        }
        if (admin != null) {
            admin.shutdown();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void killedProducersAndLostRepliesWriteNoEntryTwice_andCountersMatchWhatWasWritten() throws Exception {
        server = RedisServer.start();
        String namespace = TestRedis.uniqueNamespace();
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, P).build();
        admin = RedisClientFactory.create(config);
        Namespace.create(admin, config);
        holdRetentionBack(namespace);
        proxy = ReplyCuttingProxy.start(server.port());
        proxy.cutRandomly(LuaScript.resource("append_runs").sha(), 0.05);
        processor = ProcessorProcess.start("applier", server.url(), namespace, List.of("--partitions", Integer.toString(P)));

        Map<Integer, Path> outcomes = new TreeMap<>();
        for (int k = 0; k < 3; k++) {
            outcomes.put(k, startProducer(k, namespace));
        }
        awaitOutcomes(outcomes.get(0), 500);
        kill(0);
        outcomes.put(3, startProducer(3, namespace));
        awaitOutcomes(outcomes.get(1), 1500);
        kill(1);
        outcomes.put(4, startProducer(4, namespace));
        for (Process p : producers) {
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("a producer finished").isTrue();
        }
        proxy.cutRandomly("", 0);
        assertThat(proxy.cuts()).as("connections cut").isGreaterThan(10);

        Keys keys = Namespace.keys(admin, namespace);
        Map<String, String> entryOf = new HashMap<>(); // "<k> <n>" -> entry id
        Map<String, Long> sums = new TreeMap<>();
        for (int p = 0; p < P; p++) {
            Map<StreamMessageId, Map<String, String>> entries = admin.<String, String>getStream(keys.ops(p),
                    StringCodec.INSTANCE).range(StreamMessageId.MIN, StreamMessageId.MAX);
            for (Map.Entry<StreamMessageId, Map<String, String>> e : entries.entrySet()) {
                String counter = e.getValue().get("counter");
                String by = e.getValue().get("by");
                String sender = counter.substring(1, counter.indexOf('-')) + " " + by;
                String earlier = entryOf.put(sender, e.getKey().toString());
                assertThat(earlier).as("send %s (producer, number) is in the streams once, also at %s", sender, earlier)
                        .isNull();
                sums.merge(counter, Long.parseLong(by), Long::sum);
            }
        }

        int ok = 0;
        int unknown = 0;
        int failed = 0;
        for (Map.Entry<Integer, Path> producer : outcomes.entrySet()) {
            int k = producer.getKey();
            List<String> lines = Files.readAllLines(producer.getValue());
            boolean finished = !lines.isEmpty() && lines.get(lines.size() - 1).equals("done");
            assertThat(finished).as("producer %d finished unless it was killed", k).isEqualTo(k != 0 && k != 1);
            if (finished) {
                // lost replies were sent again until they were answered: nothing is left in doubt
                assertThat(lines).as("outcomes of producer %d, which ran to the end", k).hasSize(SENDS + 1)
                        .allMatch(line -> line.startsWith("ok ") || line.equals("done"));
            }
            for (String line : lines) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "ok" -> {
                        ok++;
                        assertThat(entryOf.get(k + " " + f[1])).as("send %d of producer %d, reported written", Integer.parseInt(f[1]), k)
                                .isEqualTo(f[2]);
                    }
                    case "failed" -> {
                        failed++;
                        assertThat(entryOf).as("send %s of producer %d, reported not written", f[1], k)
                                .doesNotContainKey(k + " " + f[1]);
                    }
                    case "unknown" -> unknown++;
                    case "done" -> { }
                    default -> throw new AssertionError("outcome line " + line);
                }
            }
        }
        System.out.printf("ProducerCrashTest: %d connections cut; %d sends reported written, %d unknown, %d failed; "
                + "%d entries%n", proxy.cuts(), ok, unknown, failed, entryOf.size());
        assertThat(ok).as("sends reported written (%d unknown, %d failed)", unknown, failed).isGreaterThan(3 * SENDS);

        PipelineInspector inspector = new PipelineInspector(admin, namespace, P);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(inspector.checkpointMismatches()).isEmpty());
        assertThat(inspector.counters()).as("every counter is the sum of its entries").isEqualTo(sums);
    }

    /**
     * The test reads every entry back once the producers are done, which takes longer than the processor's
     * housekeeping interval on a slow host: a consumer group of its own that reads nothing keeps retention
     * from trimming what the processor acknowledged (retention trims only what every group acknowledged).
     */
    private void holdRetentionBack(String namespace) {
        Keys keys = Namespace.keys(admin, namespace);
        for (int p = 0; p < P; p++) {
            admin.getStream(keys.ops(p), StringCodec.INSTANCE).createGroup(StreamCreateGroupArgs.name("audit").id(new StreamMessageId(0, 0)));
        }
    }

    private Path startProducer(int k, String namespace) throws IOException {
        Path out = tmp.resolve("producer-" + k + ".outcomes");
        Path log = tmp.resolve("producer-" + k + ".log");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                SessionProducerMain.class.getName(), proxy.url(), namespace, Integer.toString(k),
                Integer.toString(SENDS), Integer.toString(RATE), out.toString());
        producers.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        return out;
    }

    /** Waits until a producer has reported at least n outcomes: it is sending. */
    private static void awaitOutcomes(Path out, int n) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.exists(out) && Files.readAllLines(out).size() >= n);
    }

    /** SIGKILL: the producer dies with sends in flight and unflushed outcomes. */
    private void kill(int k) throws InterruptedException {
        Process p = producers.get(k);
        p.destroyForcibly();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
