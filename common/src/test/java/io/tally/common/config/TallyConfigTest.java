package io.tally.common.config;

import io.tally.common.internal.config.ConfigDoc;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TallyConfigTest {

    @Test
    void flagsWinOverEnvironmentWhichWinsOverDefaults() {
        TallyConfig.Builder b = TallyConfig.builder();
        b.args("--namespace", "fromflag", "--batch-size=200");
        TallyConfig config = b.env(Map.of("TALLY_NAMESPACE", "fromenv", "TALLY_PARTITIONS", "8")).build();
        assertThat(config.namespace()).isEqualTo("fromflag");
        assertThat(config.partitions()).isEqualTo(8);
        assertThat(config.get(TallyConfig.BATCH_SIZE)).isEqualTo(200);
        assertThat(config.get(TallyConfig.LEASE_TTL_MS)).isEqualTo(10_000);
    }

    @Test
    void unknownArgumentsAreReturnedInOrder() {
        List<String> rest = TallyConfig.builder().args("status", "--partitions", "4", "--verbose");
        assertThat(rest).containsExactly("status", "--verbose");
    }

    @Test
    void invalidValueNamesTheKeyAndTheRule() {
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.BATCH_SIZE, 5000).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value '5000' for --batch-size (TALLY_BATCH_SIZE): must be between 1 and 1000");
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.NAMESPACE, "a{b}").build())
                .hasMessageContaining("--namespace");
    }

    @Test
    void dedupeWindowShorterThanTwiceTheSendTimeout_isRefusedNamingBothKeys() {
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.SEND_TIMEOUT_MS, 30_000L)
                .set(TallyConfig.DEDUPE_WINDOW_MS, 20_000L).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Invalid value 20000 for dedupe-window-ms: ")
                .hasMessageContaining("send-timeout-ms (30000)").hasMessageContaining("written twice");
        TallyConfig.Builder flags = TallyConfig.builder();
        assertThat(flags.args("--dedupe-window-ms", "59999", "--send-timeout-ms", "30000")).isEmpty();
        assertThatThrownBy(flags::build).isInstanceOf(ConfigException.class).hasMessageContaining("dedupe-window-ms")
                .hasMessageContaining("send-timeout-ms");
        assertThat(TallyConfig.builder().set(TallyConfig.SEND_TIMEOUT_MS, 30_000L).set(TallyConfig.DEDUPE_WINDOW_MS, 60_000L)
                .build().get(TallyConfig.DEDUPE_WINDOW_MS)).isEqualTo(60_000L);
    }

    @Test
    void tickLongerThanAThirdOfTheLeaseTtl_isRefusedNamingBothKeys() {
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.LEASE_TTL_MS, 1500).set(TallyConfig.TICK_MS, 600).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Invalid value 600 for tick-ms: ").hasMessageContaining("lease-ttl-ms (1500)");
        assertThat(TallyConfig.builder().set(TallyConfig.LEASE_TTL_MS, 1500).set(TallyConfig.TICK_MS, 500).build()
                .get(TallyConfig.TICK_MS)).isEqualTo(500);
    }

    @Test
    void batchBodyLimitBelowTheSingleBodyLimit_isRefusedNamingBothKeys() {
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.API_MAX_BODY_BYTES, 8192)
                .set(TallyConfig.API_MAX_BATCH_BYTES, 4096L).build())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Invalid value 4096 for api-max-batch-bytes: ")
                .hasMessageContaining("api-max-body-bytes (8192)");
    }

    @Test
    void memberTimeoutIsHalfTheLeaseTtlUnlessSetAndNeverAboveIt() {
        assertThat(TallyConfig.builder().build().memberTimeoutMs()).isEqualTo(5000);
        assertThat(TallyConfig.builder().set(TallyConfig.LEASE_TTL_MS, 1000).build().memberTimeoutMs())
                .isEqualTo(750); // three ticks of 250 ms
        assertThat(TallyConfig.builder().set(TallyConfig.MEMBER_TIMEOUT_MS, 8000).build().memberTimeoutMs())
                .isEqualTo(8000);
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.MEMBER_TIMEOUT_MS, 12000).build())
                .hasMessageContaining("Invalid value 12000 for member-timeout-ms")
                .hasMessageContaining("lease-ttl-ms (10000)");
        assertThatThrownBy(() -> TallyConfig.builder().set(TallyConfig.MEMBER_TIMEOUT_MS, 500).build())
                .hasMessageContaining("Invalid value 500 for member-timeout-ms")
                .hasMessageContaining("three ticks");
    }

    @Test
    void passwordIsRefusedAsAFlagAndMaskedInTheDescription() {
        assertThatThrownBy(() -> TallyConfig.builder().args("--redis-password", "s3cret"))
                .hasMessageContaining("TALLY_REDIS_PASSWORD").hasMessageNotContaining("s3cret");
        TallyConfig config = TallyConfig.fromEnv(Map.of("TALLY_REDIS_PASSWORD", "s3cret"));
        assertThat(config.redisPassword()).isEqualTo("s3cret");
        assertThat(config.describe()).contains("redis-password = ****").doesNotContain("s3cret");
    }

    @Test
    void passwordFileFirstLineIsThePassword(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, "fromfile\n");
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_PASSWORD_FILE, file).build();
        assertThat(config.redisPassword()).isEqualTo("fromfile");
    }

    @Test
    void metricsPortIsOneNameAsFlagAndEnvironmentVariable() {
        assertThat(TallyConfig.METRICS_PORT.flag()).isEqualTo("--metrics-port");
        assertThat(TallyConfig.METRICS_PORT.env()).isEqualTo("TALLY_METRICS_PORT");
        assertThat(TallyConfig.fromEnv(Map.of("TALLY_METRICS_PORT", "9500")).get(TallyConfig.METRICS_PORT)).isEqualTo(9500);
        TallyConfig.Builder flags = TallyConfig.builder();
        assertThat(flags.args("--metrics-port", "9501", "--metrics-host", "127.0.0.1")).isEmpty();
        TallyConfig config = flags.build();
        assertThat(config.get(TallyConfig.METRICS_PORT)).isEqualTo(9501);
        assertThat(config.get(TallyConfig.METRICS_HOST)).isEqualTo("127.0.0.1");
    }

    @Test
    void theOldMetricsNames_stillWork_asDeprecatedAliases_andTheNewNamesWin() {
        TallyConfig.Builder old = TallyConfig.builder();
        assertThat(old.args("--http-port", "9502", "--http-host=127.0.0.2")).isEmpty();
        TallyConfig byFlag = old.build();
        assertThat(byFlag.get(TallyConfig.METRICS_PORT)).isEqualTo(9502);
        assertThat(byFlag.get(TallyConfig.METRICS_HOST)).isEqualTo("127.0.0.2");
        assertThat(byFlag.describe()).contains("metrics-port = 9502 (flag --http-port, deprecated)");

        assertThat(TallyConfig.fromEnv(Map.of("TALLY_HTTP_HOST", "127.0.0.3")).get(TallyConfig.METRICS_HOST))
                .isEqualTo("127.0.0.3");
        assertThat(TallyConfig.fromEnv(Map.of("TALLY_HTTP_HOST", "127.0.0.3", "TALLY_METRICS_HOST", "127.0.0.4"))
                .get(TallyConfig.METRICS_HOST)).isEqualTo("127.0.0.4");
        assertThat(TallyConfig.deprecatedNames()).containsOnlyKeys("http-port", "http-host");
    }

    @Test
    void everyKeysFlagAndEnvironmentVariableDeriveFromItsOneName() {
        List<String> names = new java.util.ArrayList<>();
        TallyConfig.keys().forEach(key -> names.add(key.name()));
        names.addAll(TallyConfig.deprecatedNames().keySet());
        for (String name : names) {
            String env = "TALLY_" + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            ConfigKey<?> key = TallyConfig.byName(name);
            if (key.name().equals(name)) {
                assertThat(key.flag()).as(name).isEqualTo("--" + name);
                assertThat(key.env()).as(name).isEqualTo(env);
            }
            // the flag and the variable of one name set the same key
            assertSetsKey(TallyConfig.builder().env(Map.of(env, "x")), key, env);
            if (!key.secret()) {
                TallyConfig.Builder byFlag = TallyConfig.builder();
                assertThat(byFlag.args("--" + name, "x")).as("--" + name + " is a flag").isEmpty();
                assertSetsKey(byFlag, key, "--" + name);
            }
        }
    }

    /** The raw value "x" reached the key: it is the key's value, or the key's parser refused it by name. */
    private static void assertSetsKey(TallyConfig.Builder builder, ConfigKey<?> key, String given) {
        try {
            assertThat(String.valueOf(builder.build().get(key))).as(given + " sets " + key.name()).isEqualTo("x");
        } catch (ConfigException e) {
            assertThat(e.getMessage()).as(given + " sets " + key.name()).startsWith("Invalid value 'x' for " + key.flag() + " ");
        }
    }

    @Test
    void everyKeyHasADocAndAUniqueName() {
        List<ConfigKey<?>> all = new java.util.ArrayList<>(TallyConfig.keys());
        all.addAll(TallyConfig.tuningKeys());
        for (ConfigKey<?> key : all) {
            assertThat(key.doc()).as(key.name()).isNotBlank();
        }
        assertThat(all.stream().map(ConfigKey::name)).doesNotHaveDuplicates();
    }

    @Test
    void tuningKeys_areSystemPropertiesOnly_notFlagsNorVariablesNorInTheTable() {
        assertThat(TallyConfig.tuningKeys()).containsExactly(TallyConfig.FAST_PATH_MIN_READ, TallyConfig.HOT_PATH_CONNECTION);
        assertThat(TallyConfig.keys()).doesNotContainAnyElementsOf(TallyConfig.tuningKeys());
        assertThat(ConfigDoc.markdownTable()).doesNotContain("fast-path-min-read").doesNotContain("hot-path-connection");

        TallyConfig fromProperties = TallyConfig.builder()
                .env(Map.of("TALLY_FAST_PATH_MIN_READ", "7", "TALLY_HOT_PATH_CONNECTION", "redisson"))
                .systemProperties(Map.of("tally.fast-path-min-read", "3", "tally.hot-path-connection", "redisson"))
                .build();
        assertThat(fromProperties.get(TallyConfig.FAST_PATH_MIN_READ)).isEqualTo(3);
        assertThat(fromProperties.get(TallyConfig.HOT_PATH_CONNECTION)).isEqualTo(HotPathConnection.REDISSON);
        assertThat(fromProperties.describe()).contains("fast-path-min-read = 3 (system property tally.fast-path-min-read)");

        TallyConfig environmentOnly = TallyConfig.builder().env(Map.of("TALLY_FAST_PATH_MIN_READ", "7"))
                .systemProperties(Map.of()).build();
        assertThat(environmentOnly.get(TallyConfig.FAST_PATH_MIN_READ)).isZero();
        assertThat(environmentOnly.get(TallyConfig.HOT_PATH_CONNECTION)).isEqualTo(HotPathConnection.DIRECT);

        assertThat(TallyConfig.builder().systemProperties(Map.of("tally.fast-path-min-read", "3"))
                .set(TallyConfig.FAST_PATH_MIN_READ, 5).build().get(TallyConfig.FAST_PATH_MIN_READ))
                .as("a value set in code wins").isEqualTo(5);

        assertThatThrownBy(() -> TallyConfig.builder().args("--fast-path-min-read", "1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("-Dtally.fast-path-min-read=");
        assertThatThrownBy(() -> TallyConfig.builder().systemProperties(Map.of("tally.fast-path-min-read", "2000")).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value '2000' for -Dtally.fast-path-min-read: must be between 0 and 1000");
    }
}
