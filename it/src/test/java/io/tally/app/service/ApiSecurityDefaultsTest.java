package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.ConfigException;
import io.tally.common.internal.config.SecretFile;
import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.app.cli.Cli;
import io.tally.app.cli.ServeCommand;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unsafe settings are refused or loud: --insecure stays on loopback and warns, short tokens and shared files. */
@ExtendWith(RealRedisExtension.class)
class ApiSecurityDefaultsTest {
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final List<Logger> watched = List.of((Logger) LoggerFactory.getLogger(ApiServer.class),
            (Logger) LoggerFactory.getLogger(SecretFile.class));

    @BeforeEach
    void captureLogs() {
        logs.start();
        watched.forEach(l -> l.addAppender(logs));
    }

    @AfterEach
    void releaseLogs() {
        watched.forEach(l -> l.detachAppender(logs));
    }

    @Test
    void insecure_withoutAnAddress_listensOnLoopbackOnly_warns_andSaysSoInHealth(TestRedis testRedis) throws Exception {
        TallyConfig config = testRedis.config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_INSECURE, true).build();
        RedissonClient redis = testRedis.client();
        try (ApiServer server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            assertThat(server.boundAddress().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(warnings()).anySatisfy(w -> assertThat(w).startsWith("INSECURE").contains("without a token"));
            HttpResponse<String> live = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health/live")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.body()).contains("\"insecure\":true");
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void insecure_withAnExplicitAddress_listensThere_andStillWarns(TestRedis testRedis) throws Exception {
        TallyConfig config = testRedis.config(2).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_INSECURE, true)
                .set(TallyConfig.API_HOST, "0.0.0.0").build();
        RedissonClient redis = testRedis.client();
        try (ApiServer server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            assertThat(server.boundAddress().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(warnings()).anySatisfy(w -> assertThat(w).startsWith("INSECURE"));
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void withTokens_theDefaultAddressIsKept_healthSaysNotInsecure_andNothingIsWarned(TestRedis testRedis) throws Exception {
        TallyConfig config = testRedis.config(2).set(TallyConfig.API_PORT, 0)
                .set(TallyConfig.API_TOKENS, "a-long-enough-token-0001").build();
        assertThat(ApiServer.listenHost(config, ApiTokens.from(config))).isEqualTo("0.0.0.0");
        RedissonClient redis = testRedis.client();
        try (ApiServer server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            HttpResponse<String> live = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health/live")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.body()).contains("\"insecure\":false");
            assertThat(warnings()).isEmpty();
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void shortToken_isRefusedNamingWhereItCameFrom_neverShowingIt() {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.API_TOKENS, "a-long-enough-token-0001,abcd").build();
        assertThatThrownBy(() -> ApiTokens.from(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("token 2 of TALLY_API_TOKENS has 4 characters, at least 16")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("abcd"));
    }

    @Test
    void serve_withAShortToken_exits2BeforeConnecting() {
        StringWriter err = new StringWriter();
        int code = Cli.commandLine(new ServeCommand(), List.of(), Map.of("TALLY_API_TOKENS", "abcd",
                        "TALLY_REDIS_URL", "redis://127.0.0.1:1"), new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true)).execute("--port", "0");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("at least 16").doesNotContain("abcd");
    }

    @Test
    void tokensFile_readableByOthers_isUsedWithAWarningNamingTheFix(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# ops\ntiny7\n");
        TallyConfig config = TallyConfig.builder().set(TallyConfig.API_TOKENS_FILE, file).build();
        assertThatThrownBy(() -> ApiTokens.from(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2 of --api-tokens-file " + file).satisfies(e ->
                        assertThat(e.getMessage()).doesNotContain("tiny7"));

        logs.list.clear();
        Files.writeString(file, "a-long-enough-token-0001\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(ApiTokens.from(config).count()).isEqualTo(1);
        assertThat(warnings()).singleElement().satisfies(w -> assertThat(w)
                .contains("--api-tokens-file " + file).contains("rw-r--r--").contains("chmod 600 " + file));

        logs.list.clear();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(ApiTokens.from(config).count()).isEqualTo(1);
        assertThat(warnings()).isEmpty();
    }

    private List<String> warnings() {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }
}
