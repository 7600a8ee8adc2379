package io.tally.app.demo;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.processor.internal.RedisProcessor;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.app.service.ApiServer;
import io.tally.app.service.ApiTokens;
import io.tally.app.service.ServiceMetrics;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.producer.triggers.TriggerClient;
import org.redisson.api.RedissonClient;

import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline in one process: two processors and the HTTP API on one Redis, the seed
 * scenarios, then the address, a token and curl lines to try, until Ctrl-C or the given duration.
 */
public final class Demo implements AutoCloseable {
    /** Scenarios played in order; the trigger scenarios join this list. */
    static final List<DemoScenario> SCENARIOS = List.of(new CounterScenario(), new TriggerScenario());

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final PrintWriter out;
    private boolean closed;

    public Demo(PrintWriter out) {
        this.out = out;
    }

    /**
     * Runs the demo on {@code redis}.
     *
     * @param base        Redis, namespace and partitions
     * @param apiPort     API port, 0 for a free one
     * @param durationSec seconds to keep running after the scenarios, or 0 to run until interrupted
     * @return true when every scenario gave the expected result
     */
    public boolean run(DemoRedis redis, TallyConfig.Builder base, int apiPort, long durationSec) throws Exception {
        resources.push(redis);
        TallyConfig config = base.set(TallyConfig.REDIS_URL, redis.url()).build();
        out.printf("Tally demo%n  redis       %s (%s)%n  namespace   %s%n", redis.url(), redis.description(),
                config.namespace());
        out.flush();
        RedissonClient client = RedisClientFactory.create(config);
        resources.push(() -> client.shutdown(0, 2, TimeUnit.SECONDS));
        Processor first = start(client, config, "demo-1");
        Processor second = start(client, config, "demo-2");
        awaitAssignment(first, second);

        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        ApiServer api = startApi(client, config, token, apiPort);
        String apiBase = "http://127.0.0.1:" + api.port();
        out.printf("  api         %s%n%n", apiBase);

        TallyProducer producer = RedisTallyProducer.create(client, false, config, ProducerMetrics.NOOP);
        resources.push(producer);
        TriggerClient triggers = RedisTriggerClient.create(client, config, InstantSource.system());
        resources.push(triggers);
        DemoContext ctx = new DemoContext(producer, triggers, api.reader(), out, apiBase, token);
        boolean ok = true;
        for (DemoScenario scenario : SCENARIOS) {
            out.printf("Scenario: %s%n", scenario.title());
            out.flush();
            ok &= scenario.play(ctx);
        }
        printTryIt(apiBase, token);
        out.printf("%s%n", durationSec > 0 ? "Running for " + durationSec + " s." : "Running until Ctrl-C.");
        out.flush();
        if (durationSec > 0) {
            TimeUnit.SECONDS.sleep(durationSec);
        } else {
            Thread.currentThread().join();
        }
        return ok;
    }

    /** The HTTP service on loopback, accepting {@code token}. */
    private ApiServer startApi(RedissonClient client, TallyConfig config, String token, int apiPort) {
        TallyConfig apiConfig = config.toBuilder().set(TallyConfig.API_TOKENS, token)
                .set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_PORT, apiPort).build();
        ApiServer api = new ApiServer(client, apiConfig, ApiTokens.from(apiConfig), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry(apiConfig.namespace()));
        resources.push(api);
        return api;
    }

    private Processor start(RedissonClient client, TallyConfig config, String id) {
        Processor p = RedisProcessor.start(client, config.toBuilder().set(TallyConfig.PROCESSOR_ID, id).build(),
                ProcessorListener.NOOP);
        resources.push(p);
        return p;
    }

    private void awaitAssignment(Processor first, Processor second) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int partitions = first.partitions();
        // Wait for the balanced assignment, not just full coverage: the first processor takes every
        // partition before the second joins, then hands half of them over.
        while (System.nanoTime() < deadline
                && (first.ownedPartitions().size() + second.ownedPartitions().size() < partitions
                || Math.abs(first.ownedPartitions().size() - second.ownedPartitions().size()) > 1)) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        out.printf("  processors  %s owns %d, %s owns %d of %d partitions%n", first.instanceId(),
                first.ownedPartitions().size(), second.instanceId(), second.ownedPartitions().size(), partitions);
    }

    private void printTryIt(String api, String token) {
        String auth = "-H \"Authorization: Bearer $TALLY_TOKEN\"";
        out.printf("%nTry the API (token valid while the demo runs):%n");
        out.printf("  export TALLY_TOKEN=%s%n", token);
        out.printf("  curl -s -X POST %s -H 'Content-Type: application/json' -d '{\"by\":5}' %s/v1/counters/%s/incr%n",
                auth, api, CounterScenario.COUNTER);
        out.printf("  curl -s %s %s/v1/counters/%s%n", auth, api, CounterScenario.COUNTER);
        out.printf("  curl -s -X POST %s -H 'Content-Type: application/json' -d '{\"type\":\"click\",\"params\":{\"button\":\"buy\"}}' %s/v1/events%n",
                auth, api);
        out.printf("  curl -s %s %s/v1/firings?limit=10%n", auth, api);
        out.printf("  curl -s -X POST %s -H 'Content-Type: application/json' -d '{\"kind\":\"threshold\",\"counter\":\"%s\",\"op\":\">=\",\"value\":200}' %s/v1/triggers%n",
                auth, TriggerScenario.COUNTER, api);
        out.printf("  curl -s %s %s/v1/triggers?status=active%n", auth, api);
        out.printf("  curl -s %s/openapi.json%n", api);
        out.printf("  curl -s %s/health/ready%n", api);
    }

    /** Stops everything the demo started, newest first; safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                out.println("demo: while stopping: " + e);
            }
        }
        out.flush();
    }
}
