package io.tally.it.pipeline;

import io.tally.app.cli.TallyMain;
import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.model.CounterOp;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.KeysScanOptions;
import org.redisson.client.codec.StringCodec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The partition tags a namespace's meta names, end to end: a new namespace gets {@code spread-v1} and
 * every key the pipeline writes carries those tags; a namespace whose meta has no {@code partition-tags}
 * keeps {@code {p<i>}}; a rule this version does not know is refused by every component.
 */
@ExtendWith(RealRedisExtension.class)
class PartitionTagsTest {
    private static final int P = 4;
    private TestRedis redis;
    private RedissonClient client;

    @BeforeEach
    void start(TestRedis redis) {
        this.redis = redis;
        client = redis.client();
    }

    @AfterEach
    void stop() {
        client.shutdown();
    }

    @Test
    void newNamespace_storesSpreadV1_andEveryPartitionKeyCarriesItsSpreadTag() {
        TallyConfig config = redis.config(P).build(); // created as `tally init` or a processor does
        assertThat(meta(config)).isEqualTo(Map.of("partitions", "4", "partition-tags", "spread-v1", "dedupe", "buckets-v1"));
        Keys keys = Namespace.keys(client, config.namespace());
        runPipeline(config, keys);
        List<String> expected = IntStream.range(0, P).mapToObj(keys.tags()::tag).toList();
        assertThat(expected).allMatch(tag -> tag.matches("p[0-3]-[0-9]+"));
        assertThat(tagsOfKeys(config)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(meta(config)).isEqualTo(Map.of("partitions", "4", "partition-tags", "spread-v1", "dedupe", "buckets-v1"));
    }

    @Test
    void namespaceWhoseMetaHasNoTagRule_keepsTagsP_i() {
        TallyConfig config = redis.configWithoutNamespace(P).build();
        client.getMap(Keys.meta(config.namespace()), StringCodec.INSTANCE).put("partitions", "4"); // as before the rule
        Keys keys = Namespace.keys(client, config.namespace());
        assertThat(keys.tags().rule()).isNull();
        assertThat(keys.ops(3)).isEqualTo(config.namespace() + ":{p3}:ops");
        runPipeline(config, keys);
        assertThat(tagsOfKeys(config)).containsExactlyInAnyOrder("p0", "p1", "p2", "p3");
        assertThat(meta(config)).as("a processor start adds no rule").isEqualTo(Map.of("partitions", "4"));
        Run init = tally(config, "init");
        assertThat(init.code).as(init.err).isZero();
        assertThat(meta(config)).as("nor does tally init").isEqualTo(Map.of("partitions", "4"));
        Run status = tally(config, "status");
        assertThat(status.out).as(status.err).startsWith("KEYS partition tags {p<i>}, operation ids in a key per id");
    }

    @Test
    void unknownTagRule_isRefusedByProcessorProducerAndCli_namingIt() {
        TallyConfig config = redis.configWithoutNamespace(P).build();
        client.getMap(Keys.meta(config.namespace()), StringCodec.INSTANCE)
                .putAll(Map.of("partitions", "4", PartitionTags.FIELD, "spread-v9"));
        assertThatThrownBy(() -> Processor.start(config, ProcessorListener.NOOP).close())
                .isInstanceOf(ConfigException.class).hasMessageContaining("spread-v9").hasMessageContaining("partition-tags");
        assertThatThrownBy(() -> RedisTallyProducer.create(config, ProducerMetrics.NOOP).close())
                .isInstanceOf(ConfigException.class).hasMessageContaining("spread-v9");
        for (String[] command : List.<String[]>of(new String[] {"get", "c"}, new String[] {"incr", "c"},
                new String[] {"status"}, new String[] {"init"})) {
            Run run = tally(config, command);
            assertThat(run.code).as(String.join(" ", command)).isNotZero();
            assertThat(run.err).as(String.join(" ", command)).contains("spread-v9");
        }
        List<String> keys = new ArrayList<>();
        client.getKeys().getKeys(KeysScanOptions.defaults().pattern(config.namespace() + ":*")).forEach(keys::add);
        assertThat(keys).as("nothing written").containsExactly(Keys.meta(config.namespace()));
    }

    /**
     * A processor and a producer: counter operations with and without id (dedupe keys, producer sessions),
     * unique members, events; counters checked in Redis under {@code keys} and through the CLI.
     */
    private void runPipeline(TallyConfig config, Keys keys) {
        Map<String, Long> model = new HashMap<>();
        try (Processor processor = Processor.start(config, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            List<CompletableFuture<?>> sends = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                String counter = "c" + (i % 40);
                sends.add(i % 2 == 0 ? producer.incr(counter, 3) : producer.send(CounterOp.incr(counter, 3).withId("i" + i)));
                model.merge(counter, 3L, Long::sum);
            }
            sends.add(producer.send(CounterOp.unique("u", "m1")));
            producer.flush();
            sends.forEach(CompletableFuture::join);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(counters(keys)).isEqualTo(model));
            assertThat(processor.haltedPartitions()).isEmpty();
        }
        Run get = tally(config, "get", "c7");
        assertThat(get.code).as(get.err).isZero();
        assertThat(get.out.strip()).isEqualTo("30");
    }

    private Map<String, Long> counters(Keys keys) {
        Map<String, Long> all = new HashMap<>();
        for (int p = 0; p < P; p++) {
            client.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).readAllMap()
                    .forEach((k, v) -> all.put(k, Long.parseLong(v)));
        }
        return all;
    }

    private Map<String, String> meta(TallyConfig config) {
        return client.<String, String>getMap(Keys.meta(config.namespace()), StringCodec.INSTANCE).readAllMap();
    }

    /** The hash tags of every key of the namespace outside meta, members and producer-sessions. */
    private Set<String> tagsOfKeys(TallyConfig config) {
        Set<String> tags = new TreeSet<>();
        List<String> untagged = new ArrayList<>();
        for (String key : client.getKeys().getKeys(KeysScanOptions.defaults().pattern(config.namespace() + ":*"))) {
            int open = key.indexOf('{');
            int close = key.indexOf('}', open + 1);
            if (open < 0 || close < 0) {
                untagged.add(key.substring(config.namespace().length() + 1));
            } else {
                tags.add(key.substring(open + 1, close));
            }
        }
        assertThat(untagged).isSubsetOf("meta", "members", "producer-sessions");
        return tags;
    }

    private Run tally(TallyConfig config, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", redis.url(), "--namespace", config.namespace()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(all.toArray(String[]::new), Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private record Run(int code, String out, String err) {
    }
}
