package io.tally.processor.resilience;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.keys.Keys;
import io.tally.common.redis.RedisClientFactory;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testsupport.RedisServer;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The pipeline under the least-privilege ACL user documented in docs/operations.md (the test reads
 * the line from there) with the default user disabled; and over TLS with a CA and server
 * certificate made by the test, where a wrong CA is refused with a clear error.
 */
class SecurityTest {
    private static final Path OPERATIONS_DOC = Path.of("..", "docs", "operations.md");
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
    void pipelineRunsUnderTheDocumentedLeastPrivilegeUserWithDefaultDisabled() throws IOException {
        assumeTrue(RedisServer.available(), "redis-server is not on the PATH");
        server = RedisServer.start();
        String tallyPassword = secret();
        String adminPassword = secret();
        List<String> acl = documentedAclSetUser();
        List<String> withPassword = new ArrayList<>();
        acl.forEach(a -> withPassword.add(a.equals(">CHANGE_ME") ? ">" + tallyPassword : a));
        assertThat(Resp.send(server.port(), withPassword.toArray(String[]::new))).isEqualTo("+OK");
        assertThat(Resp.send(server.port(), "ACL", "SETUSER", "admin", "on", ">" + adminPassword, "~*", "&*", "+@all"))
                .isEqualTo("+OK");
        assertThat(Resp.send(server.port(), "ACL", "SETUSER", "default", "off")).isEqualTo("+OK");

        Path tallyPass = Files.writeString(tmp.resolve("tally.pass"), tallyPassword + "\n");
        Path adminPass = Files.writeString(tmp.resolve("admin.pass"), adminPassword + "\n");
        TallyConfig config = TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "redis://tally@127.0.0.1:" + server.port())
                .set(TallyConfig.REDIS_PASSWORD_FILE, tallyPass.toString())
                .set(TallyConfig.NAMESPACE, "tally").set(TallyConfig.PARTITIONS, 8)
                .set(TallyConfig.FAST_PATH_MIN_READ, 1).build(); // the fast path's direct reads authenticate too
        RedissonClient admin = RedisClientFactory.create(TallyConfig.builder()
                .set(TallyConfig.REDIS_URL, "redis://admin@127.0.0.1:" + server.port())
                .set(TallyConfig.REDIS_PASSWORD_FILE, adminPass.toString()).build());
        try {
            runPipeline(config, admin, () -> { });
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError("pipeline failed under the ACL user; ACL LOG: "
                    + aclLog(adminPassword), e);
        } finally {
            admin.shutdown();
        }
        // the only denial allowed is Redisson's connect-time probe (EVAL on key "test1"), which it tolerates
        String log = aclLog(adminPassword);
        assertThat(log.equals("*0") || (log.startsWith("*1 ") && log.contains("cmd=eval ")))
                .as("no Tally command was denied to the tally user; ACL LOG: %s", log).isTrue();
    }

    private String aclLog(String adminPassword) {
        // a fresh connection authenticated as admin; only the reply's first line (array size) is shown
        return Resp.sendAuthenticated(server.port(), "admin", adminPassword, "ACL", "LOG");
    }

    @Test
    void pipelineRunsOverTlsAndAWrongCaIsRefused() throws Exception {
        assumeTrue(RedisServer.available(), "redis-server is not on the PATH");
        assumeTrue(Tls.redisSupportsTls(), "this redis-server build has no TLS support (not linked with OpenSSL)");
        assumeTrue(Tls.opensslAvailable(), "openssl is not on the PATH");
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
            runPipeline(config, client, () -> assertThat(server.cli("CLIENT", "LIST"))
                    .containsPattern("laddr=[^ ]*:" + tlsPort + " .*name=tally-hot:")
                    .containsPattern("laddr=[^ ]*:" + tlsPort + " .*name=tally-producer "));
        } finally {
            client.shutdown();
        }
        assertThat(server.cli("INFO", "stats")).containsPattern("total_connections_received:[1-9]");

        TallyConfig wrongCa = config.toBuilder().set(TallyConfig.REDIS_TLS_CA_FILE, other.caCert().toString()).build();
        assertThatThrownBy(() -> Processor.start(wrongCa, ProcessorMetrics.NOOP).close())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("TLS")
                .hasMessageContaining(other.caCert().toString())
                .hasMessageContaining("redis-tls-ca-file");
    }

    private static void runPipeline(TallyConfig config, RedissonClient reader, Runnable whileRunning) {
        Keys keys = new Keys(config.namespace());
        Map<String, Long> model = new HashMap<>();
        try (Processor processor = Processor.start(config, ProcessorMetrics.NOOP);
             TallyProducer producer = TallyProducer.create(config)) {
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String counter = "c" + (i % 20);
                sends.add(i % 2 == 0 ? producer.incr(counter, 2)
                        : producer.send(io.tally.common.model.CounterOp.incr(counter, 2).withId("s" + i)));
                model.merge(counter, 2L, Long::sum);
            }
            producer.flush();
            sends.forEach(CompletableFuture::join);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Counters.read(reader, keys, config.partitions())).isEqualTo(model));
            assertThat(processor.ready()).isTrue();
            whileRunning.run();
        }
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The words of the {@code ACL SETUSER tally ...} line in docs/operations.md. */
    static List<String> documentedAclSetUser() throws IOException {
        for (String line : Files.readAllLines(OPERATIONS_DOC)) {
            String l = line.strip();
            if (l.startsWith("ACL SETUSER tally ")) {
                return List.of(l.split("\\s+"));
            }
        }
        throw new AssertionError("docs/operations.md has no line starting with 'ACL SETUSER tally '");
    }
}
