package io.tally.common.config;

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
    void metricsPortUsesTheDocumentedEnvironmentName() {
        assertThat(TallyConfig.HTTP_PORT.env()).isEqualTo("TALLY_METRICS_PORT");
        assertThat(TallyConfig.fromEnv(Map.of("TALLY_METRICS_PORT", "9500")).get(TallyConfig.HTTP_PORT)).isEqualTo(9500);
    }

    @Test
    void everyKeyHasDocAndEnvironmentName() {
        for (ConfigKey<?> key : TallyConfig.keys()) {
            assertThat(key.doc()).as(key.name()).isNotBlank();
            assertThat(key.env()).as(key.name()).startsWith("TALLY_");
        }
    }
}
