package io.tally.app.cli;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.KeysScanOptions;
import org.redisson.client.codec.StringCodec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Only processors and {@code tally init} create a namespace; the other commands find it or fail. */
@ExtendWith(RealRedisExtension.class)
class InitCommandTest {
    @Test
    void incrOnAMissingNamespace_exits1NamingTheNamespaceAndTheFix_andCreatesNoKey(TestRedis testRedis) {
        TallyConfig config = testRedis.configWithoutNamespace(0).build();
        Run incr = run(testRedis, config, Map.of("TALLY_SEND_TIMEOUT_MS", "300"), "incr", "c", "7");
        assertThat(incr.code).isEqualTo(1);
        assertThat(incr.err).contains("namespace '" + config.namespace() + "' does not exist in Redis at "
                + testRedis.url()).contains("start a processor or run `tally init --partitions P`");
        assertThat(keysOf(testRedis, config.namespace())).isEmpty();
    }

    @Test
    void init_createsMetaAndEveryGroup_isIdempotent_andRefusesAnotherP(TestRedis testRedis) {
        TallyConfig config = testRedis.configWithoutNamespace(0).build();
        Run init = run(testRedis, config, Map.of(), "init", "--partitions", "4");
        assertThat(init.code).as(init.err).isZero();
        Keys keys = TestRedis.keys(config);
        assertThat(init.out).contains("namespace '" + config.namespace() + "' created with 4 partitions");
        RedissonClient redis = testRedis.client();
        try {
            assertThat(redis.<String, String>getMap(keys.meta(), StringCodec.INSTANCE).readAllMap())
                    .isEqualTo(Map.of("partitions", "4", "partition-tags", "spread-v1", "dedupe", "buckets-v1"));
            for (int p = 0; p < 4; p++) {
                for (String stream : keys.inputStreams(p)) {
                    assertThat(redis.getStream(stream, StringCodec.INSTANCE).listGroups())
                            .extracting(g -> g.getName() + "@" + g.getLastDeliveredId()).containsExactly("tally@0-0");
                }
            }
        } finally {
            redis.shutdown();
        }
        Run again = run(testRedis, config, Map.of(), "init", "--partitions", "4");
        assertThat(again.code).as(again.err).isZero();
        assertThat(again.out).contains("exists with 4 partitions");
        assertThat(run(testRedis, config, Map.of(), "init").code).isZero();

        Run other = run(testRedis, config, Map.of(), "init", "--partitions", "8");
        assertThat(other.code).isEqualTo(2);
        assertThat(other.err).contains("has 4 partitions").contains("--partitions 8");

        TallyConfig eight = TallyConfig.builder().set(TallyConfig.REDIS_URL, testRedis.url())
                .set(TallyConfig.NAMESPACE, config.namespace()).set(TallyConfig.PARTITIONS, 8).build();
        assertThatThrownBy(() -> Processor.start(eight, ProcessorListener.NOOP).close())
                .isInstanceOf(ConfigException.class).hasMessageContaining("has 4 partitions");
    }

    @Test
    void readCommandOnAMissingNamespace_namesTheFix(TestRedis testRedis) {
        TallyConfig config = testRedis.configWithoutNamespace(0).build();
        Run status = run(testRedis, config, Map.of(), "status");
        assertThat(status.code).isEqualTo(1);
        assertThat(status.err).contains("namespace '" + config.namespace() + "' does not exist")
                .contains("tally init --partitions P");
    }

    private static List<String> keysOf(TestRedis testRedis, String namespace) {
        RedissonClient redis = testRedis.client();
        try {
            List<String> found = new ArrayList<>();
            redis.getKeys().getKeys(KeysScanOptions.defaults().pattern(namespace + "*")).forEach(found::add);
            return found;
        } finally {
            redis.shutdown();
        }
    }

    private static Run run(TestRedis testRedis, TallyConfig config, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", testRedis.url(), "--namespace", config.namespace()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(all.toArray(String[]::new), env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private record Run(int code, String out, String err) {
    }
}
