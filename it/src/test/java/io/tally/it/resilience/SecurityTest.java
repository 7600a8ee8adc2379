package io.tally.it.resilience;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.model.CounterOp;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.it.resilience.AclScenario.Role;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.producer.internal.read.CounterSeries;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The pipeline under the two least-privilege ACL users documented in docs/operations.md (the test reads
 * the lines from there; {@code AclDerivedTest} derives them and runs every path) with the default user
 * disabled; and over TLS with a CA and server
 * certificate made by the test, where a wrong CA is refused with a clear error.
 */
class SecurityTest {
    private RedisServer server;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void pipelineRunsUnderTheDocumentedUsersWithDefaultDisabled() throws IOException {
        RedisServer.requireAvailable();
        server = RedisServer.start();
        String adminPassword = secret();
        Map<Role, String> passwords = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            passwords.put(role, secret());
            List<String> withPassword = new ArrayList<>();
            AclDerivedTest.documentedAclSetUser(role)
                    .forEach(a -> withPassword.add(a.equals(">CHANGE_ME") ? ">" + passwords.get(role) : a));
            try (AdminLink asDefault = AdminLink.open(server.port())) {
                assertThat(asDefault.call(withPassword.toArray(String[]::new))).isEqualTo("OK");
            }
        }
        try (AdminLink asDefault = AdminLink.open(server.port())) {
            assertThat(asDefault.call("ACL", "SETUSER", "admin", "on", ">" + adminPassword, "~*", "&*", "+@all"))
                    .isEqualTo("OK");
            assertThat(asDefault.call("ACL", "SETUSER", "default", "off")).isEqualTo("OK");
        }

        Path adminPass = Files.writeString(tmp.resolve("admin.pass"), adminPassword + "\n");
        RedissonClient admin = RedisClientFactory.create(TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "redis://admin@127.0.0.1:" + server.port())
                .set(TallyConfig.REDIS_PASSWORD_FILE, adminPass.toString()).build());
        try {
            runPipeline(userConfig(Role.PRODUCER, passwords), userConfig(Role.PROCESSOR, passwords), admin, () -> { });
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError("pipeline failed under the documented users; ACL LOG: "
                    + aclLog(adminPassword), e);
        } finally {
            admin.shutdown();
        }
        // the only denial allowed is Redisson's connect-time probe (EVAL on key "test1"), which it tolerates
        try (AdminLink link = AdminLink.open(server.port(), "admin", adminPassword)) {
            List<Map<String, Object>> log = link.aclLog();
            assertThat(log).as("no Tally command was denied to the tally users; ACL LOG: %s", log)
                    .allSatisfy(e -> assertThat(e).containsEntry("object", AclDerivedTest.PROBE));
        }
    }

    private TallyConfig userConfig(Role role, Map<Role, String> passwords) throws IOException {
        String user = AclDerivedTest.userName(role);
        Path pass = Files.writeString(tmp.resolve(user + ".pass"), passwords.get(role) + "\n");
        return TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "redis://" + user + "@127.0.0.1:" + server.port())
                .set(TallyConfig.REDIS_PASSWORD_FILE, pass.toString())
                .set(TallyConfig.NAMESPACE, "tally").set(TallyConfig.PARTITIONS, 8)
                .set(TallyConfig.FAST_PATH_MIN_READ, 1).build(); // the fast path's direct reads authenticate too
    }

    private String aclLog(String adminPassword) {
        try (AdminLink link = AdminLink.open(server.port(), "admin", adminPassword)) {
            return link.aclLog().toString();
        }
    }

    @Test
    void pipelineRunsOverTlsAndAWrongCaIsRefused() throws Exception {
        RedisServer.requireAvailable();
        Tls.requireTools();
        Tls.Files certs = Tls.generate(tmp.resolve("good"));
        Tls.Files other = Tls.generate(tmp.resolve("other"));
        int tlsPort = RedisServer.freePort();
        server = RedisServer.start("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", certs.serverCert().toString(),
                "--tls-key-file", certs.serverKey().toString(), "--tls-ca-cert-file", certs.caCert().toString(),
                "--tls-auth-clients", "no");
        TallyConfig config = TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "rediss://127.0.0.1:" + tlsPort)
                .set(TallyConfig.REDIS_TLS_CA_FILE, certs.caCert().toString())
                .set(TallyConfig.NAMESPACE, "tls").set(TallyConfig.PARTITIONS, 4)
                .set(TallyConfig.FAST_PATH_MIN_READ, 1).build();
        RedissonClient client = RedisClientFactory.create(config);
        try {
            // the processor's hot-path connection and the producer's append connection go over TLS too
            // (the plain port is only for redis-cli)
            runPipeline(config, config, client, () -> assertThat(server.cli("CLIENT", "LIST"))
                    .containsPattern("laddr=[^ ]*:" + tlsPort + " .*name=tally-hot:")
                    .containsPattern("laddr=[^ ]*:" + tlsPort + " .*name=tally-producer "));
        } finally {
            client.shutdown();
        }
        assertThat(server.cli("INFO", "stats")).containsPattern("total_connections_received:[1-9]");

        TallyConfig wrongCa = config.toBuilder().set(TallyConfig.REDIS_TLS_CA_FILE, other.caCert().toString()).build();
        assertThatThrownBy(() -> Processor.start(wrongCa, ProcessorListener.NOOP).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TLS")
                .hasMessageContaining(other.caCert().toString())
                .hasMessageContaining("redis-tls-ca-file");
    }

    /**
     * Sends counter operations with and without id and unique entries, and reads a unique count back as the
     * producer does (PFCOUNT); the processor applies them (PFADD inside apply.lua).
     */
    private static void runPipeline(TallyConfig producerConfig, TallyConfig processorConfig, RedissonClient reader,
                                    Runnable whileRunning) {
        Map<String, Long> model = new HashMap<>();
        try (Processor processor = Processor.start(processorConfig, ProcessorListener.NOOP);
             TallyProducer producer = RedisTallyProducer.create(producerConfig, ProducerMetrics.NOOP);
             CounterSeries series = CounterSeries.create(producerConfig)) {
            Keys keys = Namespace.keys(reader, processorConfig.namespace());
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String counter = "c" + (i % 20);
                sends.add(i % 2 == 0 ? producer.incr(counter, 2)
                        : producer.send(CounterOp.incr(counter, 2).withId("s" + i)));
                model.merge(counter, 2L, Long::sum);
            }
            for (int i = 0; i < 10; i++) {
                sends.add(producer.send(CounterOp.unique("visitors", "v" + (i % 4))));
            }
            producer.flush();
            sends.forEach(CompletableFuture::join);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Counters.read(reader, keys, processorConfig.partitions())).isEqualTo(model));
            await().atMost(Duration.ofSeconds(10)).until(() -> series.uniqueIfPresent("visitors").orElse(0) == 4);
            assertThat(processor.ready()).isTrue();
            assertThat(processor.haltedPartitions()).isEmpty();
            whileRunning.run();
        }
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

}
