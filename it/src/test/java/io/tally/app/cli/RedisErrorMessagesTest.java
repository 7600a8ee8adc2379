package io.tally.app.cli;

import io.tally.app.cli.TallyCliTest.Run;
import io.tally.testkit.PersistenceFailure;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Redis failure a user meets at the command line is one line naming the cause and the fix, with
 * exit 1 and no stack trace unless {@code --verbose}; against real redis-server processes.
 */
class RedisErrorMessagesTest {
    private static final String PASSWORD = "s3cret-pw";
    private static RedisServer secured;
    private static RedisServer open;

    @BeforeAll
    static void start() {
        RedisServer.requireAvailable();
        secured = RedisServer.start();
        assertThat(secured.cli("ACL", "SETUSER", "ops", "on", ">ops-pw", "~*", "&*", "+@all")).isEqualTo("OK");
        assertThat(secured.cli("CONFIG", "SET", "requirepass", PASSWORD)).isEqualTo("OK");
        open = RedisServer.start();
        assertThat(open.cli("ACL", "SETUSER", "noscripts", "on", ">ns-pw", "~*", "&*", "+@all", "-evalsha", "-eval"))
                .isEqualTo("OK");
        assertThat(open.cli("ACL", "SETUSER", "noxadd", "on", ">nx-pw", "~*", "&*", "+@all", "-xadd")).isEqualTo("OK");
        Run init = tally(Map.of(), "init", "--partitions", "2", "--redis-url", open.url());
        assertThat(init.code()).as(init.err()).isZero();
    }

    @AfterAll
    static void stop() {
        secured.close();
        open.close();
    }

    @Test
    void wrongPassword_namesTheUserAndWhereThePasswordComesFrom() {
        Run r = tally(Map.of("TALLY_REDIS_PASSWORD", "wrong"), "get", "c", "--redis-url", secured.url());
        assertOneLine(r, "tally get: cannot connect to Redis at " + secured.url() + ": wrong password for user "
                + "'default', or no such user, or it is disabled (WRONGPASS); set TALLY_REDIS_PASSWORD or "
                + "--redis-password-file to its password, and the user in the URL (redis://USER@host:port)");
    }

    @Test
    void wrongPasswordOfAnAclUser_namesThatUser() {
        String url = "redis://ops@127.0.0.1:" + secured.port();
        Run r = tally(Map.of("TALLY_REDIS_PASSWORD", "not-ops-pw"), "get", "c", "--redis-url", url);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("tally get: cannot connect to Redis at " + url + ": wrong password for user 'ops'");
    }

    @Test
    void missingPassword_saysRedisRequiresOne() {
        Run r = tally(Map.of(), "get", "c", "--redis-url", secured.url());
        assertOneLine(r, "tally get: cannot connect to Redis at " + secured.url() + ": Redis requires a password and "
                + "none was given (NOAUTH); set TALLY_REDIS_PASSWORD or --redis-password-file, and an ACL user in "
                + "the URL (redis://USER@host:port) if not 'default'");
    }

    @Test
    void closedPort_saysConnectionRefused() {
        String url = "redis://127.0.0.1:" + RedisServer.freePort();
        Run r = tally(Map.of(), "get", "c", "--redis-url", url);
        assertOneLine(r, "tally get: cannot connect to Redis at " + url + ": connection refused (is redis-server "
                + "running on that host and port?); start Redis or set --redis-url / TALLY_REDIS_URL");
    }

    @Test
    void stoppedServer_saysItDidNotAnswerWithinTheTimeout() {
        try (RedisServer frozen = RedisServer.start()) {
            frozen.pause();
            try {
                Run r = tally(Map.of("TALLY_REDIS_TIMEOUT_MS", "300"), "get", "c", "--redis-url", frozen.url());
                assertOneLine(r, "tally get: Redis at " + frozen.url() + " did not answer within 300 ms (timeout); "
                        + "check that it is up and not stopped or overloaded (redis-cli ... ping, SLOWLOG GET), or "
                        + "raise --redis-timeout-ms / TALLY_REDIS_TIMEOUT_MS");
            } finally {
                frozen.resume();
            }
        }
    }

    @Test
    void tlsUrlOnAPlainPort_saysTheHandshakeGotNoAnswer() {
        String url = "rediss://127.0.0.1:" + open.port();
        Run r = tally(Map.of("TALLY_REDIS_TIMEOUT_MS", "300"), "get", "c", "--redis-url", url);
        assertOneLine(r, "tally get: cannot connect to Redis at " + url + ": no answer while connecting within 300 ms "
                + "(a rediss:// URL on a port without TLS does this); check that Redis is up and serves TLS on that "
                + "port, or raise --redis-timeout-ms / TALLY_REDIS_TIMEOUT_MS");
    }

    @Test
    void aclUserWithoutACommand_namesTheUserAndTheCommand() {
        String url = "redis://noscripts@127.0.0.1:" + open.port();
        Run r = tally(Map.of("TALLY_REDIS_PASSWORD", "ns-pw"), "incr", "c", "--redis-url", url);
        assertOneLine(r, "tally incr: Redis user 'noscripts' at " + url + " may not run EVALSHA (NOPERM); grant it "
                + "with ACL SETUSER (docs/operations.md lists what each Tally user needs) or use a user that has it");
    }

    @Test
    void aclUserWithoutACommandAScriptCalls_saysSo() {
        String url = "redis://noxadd@127.0.0.1:" + open.port();
        Run r = tally(Map.of("TALLY_REDIS_PASSWORD", "nx-pw"), "incr", "c", "--redis-url", url);
        assertOneLine(r, "tally incr: Redis user 'noxadd' at " + url + " may not run a command that a Tally script "
                + "calls (NOPERM); grant it with ACL SETUSER (docs/operations.md lists what each Tally user needs) "
                + "or use a user that has it");
    }

    @Test
    void fullMemory_saysOutOfMemory() {
        assertThat(open.cli("CONFIG", "SET", "maxmemory", "1")).isEqualTo("OK");
        try {
            Run r = tally(Map.of(), "incr", "c", "--redis-url", open.url());
            assertOneLine(r, "tally incr: Redis at " + open.url() + " is out of memory and refuses writes (OOM, "
                    + "maxmemory reached); free memory or raise maxmemory (CONFIG SET maxmemory ...); Tally needs "
                    + "maxmemory-policy noeviction");
        } finally {
            open.cli("CONFIG", "SET", "maxmemory", "0");
        }
    }

    @Test
    void clusterWithoutSlots_saysTheClusterIsDown() {
        try (RedisServer node = RedisServer.start("--cluster-enabled", "yes")) {
            Run r = tally(Map.of(), "get", "c", "--redis-url", node.url());
            assertOneLine(r, "tally get: Redis Cluster at " + node.url() + " is down (CLUSTERDOWN Hash slot not "
                    + "served); wait until every hash slot is served (redis-cli --cluster check host:port)");
        }
    }

    @Test
    void redisAtMaxclients_saysSoForACommandAndTheProcessor() throws IOException {
        try (RedisServer full = RedisServer.start("--maxclients", "2");
             Socket first = registeredClient(full);
             Socket second = registeredClient(full)) {
            String why = "cannot connect to Redis at " + full.url() + ": Redis has as many clients as its maxclients "
                    + "allows (ERR max number of clients reached); close idle clients (redis-cli ... CLIENT LIST) or "
                    + "raise maxclients (CONFIG SET maxclients ...)";
            assertOneLine(tally(Map.of(), "get", "c", "--redis-url", full.url()), "tally get: " + why);
            assertOneLine(tally(Map.of(), "processor", "--redis-url", full.url(), "--metrics-port", "0"),
                    "tally processor: failed to start: " + why);
        }
    }

    @Test
    void redisThatFailedToSave_saysMisconfForReadsAndWrites() {
        try (RedisServer failing = RedisServer.start("--enable-protected-configs", "yes")) {
            Run init = tally(Map.of(), "init", "--partitions", "2", "--redis-url", failing.url());
            assertThat(init.code()).as(init.err()).isZero();
            PersistenceFailure.induce(failing);
            String why = "Redis at " + failing.url() + " refuses writes, and PING, because its last save to disk failed "
                    + "(MISCONF); check its log and disk (INFO persistence), then BGSAVE";
            assertOneLine(tally(Map.of(), "get", "c", "--redis-url", failing.url()), "tally get: " + why);
            assertOneLine(tally(Map.of(), "incr", "c", "--redis-url", failing.url()), "tally incr: " + why);
        }
    }

    @Test
    void redisWithoutItsMinReplicas_saysNoreplicas() {
        assertThat(open.cli("CONFIG", "SET", "min-replicas-to-write", "1")).isEqualTo("OK");
        try {
            Run r = tally(Map.of(), "incr", "c", "--redis-url", open.url());
            assertOneLine(r, "tally incr: Redis at " + open.url() + " refuses writes: fewer replicas than its "
                    + "min-replicas-to-write are in sync (NOREPLICAS); check its replicas (INFO replication)");
        } finally {
            open.cli("CONFIG", "SET", "min-replicas-to-write", "0");
        }
    }

    /** A connection Redis has counted as a client: it answered a PING on it. */
    private static Socket registeredClient(RedisServer redis) throws IOException {
        Socket socket = new Socket("127.0.0.1", redis.port());
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] pong = socket.getInputStream().readNBytes(7);
        assertThat(new String(pong, StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
        return socket;
    }

    @Test
    void verbose_addsTheStackTrace() {
        Run r = tally(Map.of(), "get", "c", "--verbose", "--redis-url", secured.url());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("tally get: cannot connect to Redis at " + secured.url() + ": Redis requires a password")
                .contains("RedisAuthRequiredException").contains("\tat ");
    }

    @Test
    void processorWithWrongPassword_exits1WithOneLine() {
        Run r = tally(Map.of("TALLY_REDIS_PASSWORD", "wrong"), "processor", "--redis-url", secured.url(),
                "--metrics-port", "0");
        assertOneLine(r, "tally processor: failed to start: cannot connect to Redis at " + secured.url()
                + ": wrong password for user 'default', or no such user, or it is disabled (WRONGPASS); set "
                + "TALLY_REDIS_PASSWORD or --redis-password-file to its password, and the user in the URL "
                + "(redis://USER@host:port)");
    }

    @Test
    void processorOnAClosedPort_exits1WithOneLine() {
        String url = "redis://127.0.0.1:" + RedisServer.freePort();
        Run r = tally(Map.of(), "processor", "--redis-url", url, "--metrics-port", "0");
        assertOneLine(r, "tally processor: failed to start: cannot connect to Redis at " + url + ": connection "
                + "refused (is redis-server running on that host and port?); start Redis or set --redis-url / "
                + "TALLY_REDIS_URL");
    }

    private static void assertOneLine(Run r, String line) {
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).isEqualTo(line + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }

    static Run tally(Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(all.toArray(String[]::new), env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }
}
