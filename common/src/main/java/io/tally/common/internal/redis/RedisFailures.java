package io.tally.common.internal.redis;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.resp.RespErrorReply;
import org.redisson.client.RedisAuthRequiredException;
import org.redisson.client.RedisClusterDownException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisTimeoutException;
import org.redisson.client.RedisWrongPasswordException;

import javax.net.ssl.SSLException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a failure to talk to Redis into one line that names the cause and the fix, for a person at a
 * terminal: "cannot connect to Redis at redis://127.0.0.1:6391: wrong password for user 'default'
 * (WRONGPASS); set TALLY_REDIS_PASSWORD or --redis-password-file".
 *
 * <p>The cause is found by type first, then by the error code Redis put at the start of its reply, in the
 * whole chain of causes and suppressed exceptions: Redisson wraps a refused connection or a rejected AUTH
 * three levels deep in {@code RedisConnectionException}/{@code ExecutionException}, and Tally's own RESP
 * connection reports error replies as {@link RespErrorReply}.
 */
public final class RedisFailures {
    /** Redis's NOPERM text names the command: "... no permissions to run the 'evalsha' command". */
    private static final Pattern NOPERM_COMMAND = Pattern.compile("run the '([^']+)' command");
    /** Redis's reply when a Lua script calls a command the ACL user may not run (no NOPERM code then). */
    private static final String SCRIPT_DENIED = "user executing the script can't run this command";
    private static final String ACL_DOC = "docs/operations.md lists what each Tally user needs";
    /** What Redis appends to an error raised inside a script: " script: <sha>, on @user_script:<line>." */
    private static final Pattern SCRIPT_SUFFIX = Pattern.compile(" script: [0-9a-f]{40}\\b");
    /** Redis's reply to a connection past its maxclients, just before it closes it (code ERR, so by text). */
    private static final String MAX_CLIENTS = "max number of clients reached";

    private RedisFailures() {
    }

    /**
     * One line for a Redis failure, or empty when {@code failure} is not one this class recognises.
     *
     * @param config the configuration the failing client was made from (for the URL, user and timeout), or
     *               null when it is not known
     */
    public static Optional<String> describe(Throwable failure, TallyConfig config) {
        Context at = Context.of(config);
        List<Throwable> chain = chain(failure);
        for (Throwable t : chain) {
            Optional<String> line = byType(t, at);
            if (line.isPresent()) {
                return line;
            }
        }
        for (Throwable t : chain) {
            if (t instanceof RedisException || t instanceof RespErrorReply) {
                Optional<String> line = byReplyCode(replyText(t), at);
                if (line.isPresent()) {
                    return line;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * {@link #describe}'s line, or else "Redis at URL failed: " and Redis's own reply text (or the failure's
     * message) without the channel, command and script detail Redisson appends: for a log line.
     */
    public static String line(Throwable failure, TallyConfig config) {
        return describe(failure, config).orElseGet(() -> "Redis at " + Context.of(config).url + " failed: " + brief(failure));
    }

    private static String brief(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return replyText(t);
    }

    // Whole on purpose: one table of failure type -> the line an operator reads, most specific first.
    private static Optional<String> byType(Throwable t, Context at) {
        if (t instanceof RedisWrongPasswordException) {
            return Optional.of(wrongPassword(at));
        }
        if (t instanceof RedisAuthRequiredException) {
            return Optional.of(noAuth(at));
        }
        if (t instanceof RedisOutOfMemoryException) {
            return Optional.of(outOfMemory(at));
        }
        if (t instanceof RedisClusterDownException) {
            return Optional.of(clusterDown(replyText(t), at));
        }
        if (t instanceof UnknownHostException) {
            return Optional.of(at.cannotConnect() + "unknown host " + t.getMessage()
                    + "; check the host in --redis-url / TALLY_REDIS_URL");
        }
        if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
            boolean refused = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("refused");
            return Optional.of(at.cannotConnect() + (refused ? "connection refused (is redis-server running on that host "
                    + "and port?)" : "host unreachable (" + t.getMessage() + ")")
                    + "; start Redis or set --redis-url / TALLY_REDIS_URL");
        }
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            return Optional.of(at.cannotConnect() + "no answer to the TCP connect (" + t.getMessage() + "); check the "
                    + "host and port in --redis-url / TALLY_REDIS_URL and any firewall in between");
        }
        if (t instanceof SSLException || t instanceof CertificateException) {
            return Optional.of(at.cannotConnect() + "TLS handshake failed (" + t.getMessage() + "); use rediss:// only "
                    + "for a TLS port and set --redis-tls-ca-file / TALLY_REDIS_TLS_CA_FILE to the CA that signed "
                    + "the server certificate");
        }
        if (t instanceof TimeoutException) {
            // Redisson's connect gave up: the TCP connect succeeded, the handshake (TLS, HELLO, AUTH) got no answer.
            return Optional.of(at.cannotConnect() + "no answer while connecting within " + at.timeout
                    + (at.url.startsWith("rediss://") ? " (a rediss:// URL on a port without TLS does this)" : "")
                    + "; check that Redis is up and serves " + (at.url.startsWith("rediss://") ? "TLS " : "")
                    + "on that port, or raise --redis-timeout-ms / TALLY_REDIS_TIMEOUT_MS");
        }
        if (t instanceof RedisTimeoutException) {
            return Optional.of("Redis at " + at.url + " did not answer within " + at.timeout + " (timeout); check that "
                    + "it is up and not stopped or overloaded (redis-cli ... ping, SLOWLOG GET), or raise "
                    + "--redis-timeout-ms / TALLY_REDIS_TIMEOUT_MS");
        }
        return Optional.empty();
    }

    private static Optional<String> byReplyCode(String reply, Context at) {
        if (reply.contains(SCRIPT_DENIED)) {
            return Optional.of(noPermission(reply, at));
        }
        if (reply.contains(MAX_CLIENTS)) {
            return Optional.of(at.cannotConnect() + "Redis has as many clients as its maxclients allows (ERR " + MAX_CLIENTS
                    + "); close idle clients (redis-cli ... CLIENT LIST) or raise maxclients (CONFIG SET maxclients ...)");
        }
        return switch (RedisErrorCode.of(reply)) {
            case "WRONGPASS" -> Optional.of(wrongPassword(at));
            case "NOAUTH" -> Optional.of(noAuth(at));
            case "OOM" -> Optional.of(outOfMemory(at));
            case "CLUSTERDOWN" -> Optional.of(clusterDown(reply, at));
            case "NOPERM" -> Optional.of(noPermission(reply, at));
            case "READONLY" -> Optional.of("Redis at " + at.url + " is a read-only replica (READONLY); point "
                    + "--redis-url / TALLY_REDIS_URL at the master, or use --redis-mode sentinel or cluster");
            case "LOADING" -> Optional.of("Redis at " + at.url + " is loading its data set into memory (LOADING); "
                    + "retry when it has finished");
            case "MISCONF" -> Optional.of("Redis at " + at.url + " refuses writes, and PING, because its last save to "
                    + "disk failed (MISCONF); check its log and disk (INFO persistence), then BGSAVE");
            case "NOREPLICAS" -> Optional.of("Redis at " + at.url + " refuses writes: fewer replicas than its "
                    + "min-replicas-to-write are in sync (NOREPLICAS); check its replicas (INFO replication)");
            default -> Optional.empty();
        };
    }

    private static String wrongPassword(Context at) {
        return at.cannotConnect() + "wrong password for user '" + at.user + "', or no such user, or it is disabled "
                + "(WRONGPASS); set TALLY_REDIS_PASSWORD or --redis-password-file to its password, and the user in the "
                + "URL (redis://USER@host:port)";
    }

    private static String noAuth(Context at) {
        return at.cannotConnect() + "Redis requires a password and none was given (NOAUTH); set TALLY_REDIS_PASSWORD "
                + "or --redis-password-file, and an ACL user in the URL (redis://USER@host:port) if not 'default'";
    }

    private static String outOfMemory(Context at) {
        return "Redis at " + at.url + " is out of memory and refuses writes (OOM, maxmemory reached); free memory "
                + "or raise maxmemory (CONFIG SET maxmemory ...); Tally needs maxmemory-policy noeviction";
    }

    private static String clusterDown(String reply, Context at) {
        return "Redis Cluster at " + at.url + " is down (" + reply + "); wait until every hash slot is served "
                + "(redis-cli --cluster check host:port)";
    }

    /**
     * Whether {@code reply} is Redis 7.0's error for a command called inside a script that the user may not
     * run: code ERR, unlike the NOPERM Redis 7.2 and Tally's scripts' own checks reply.
     */
    public static boolean isScriptDenied(String reply) {
        return reply.contains(SCRIPT_DENIED);
    }

    /**
     * The command a NOPERM reply says the user may not run, in lower case as Redis names it ({@code evalsha}), or
     * empty when the reply names none (a script's denied call on Redis 7.0, another permission).
     */
    public static Optional<String> deniedCommand(String reply) {
        Matcher m = NOPERM_COMMAND.matcher(String.valueOf(reply));
        return m.find() ? Optional.of(m.group(1).toLowerCase(Locale.ROOT)) : Optional.empty();
    }

    private static String noPermission(String reply, Context at) {
        Optional<String> denied = deniedCommand(reply);
        String what;
        if (denied.isPresent()) {
            what = "may not run " + denied.get().toUpperCase(Locale.ROOT);
        } else if (isScriptDenied(reply)) {
            what = "may not run a command that a Tally script calls";
        } else {
            what = "lacks a permission (" + reply + ")";
        }
        return "Redis user '" + at.user + "' at " + at.url + " " + what + " (NOPERM); grant it with ACL SETUSER ("
                + ACL_DOC + ") or use a user that has it";
    }

    /**
     * Redis's own error text, without the script's SHA and line (Redis's) and the channel and command
     * detail (Redisson's) that follow it.
     */
    public static String replyText(Throwable t) {
        String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int cut = msg.length();
        Matcher script = SCRIPT_SUFFIX.matcher(msg);
        if (script.find()) {
            cut = script.start();
        }
        for (String suffix : new String[]{". channel:", " channel:"}) {
            int at = msg.indexOf(suffix);
            cut = at >= 0 ? Math.min(cut, at) : cut;
        }
        String text = msg.substring(0, cut).strip();
        return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
    }

    /** The failure, its causes and their suppressed exceptions, outermost first, each once. */
    private static List<Throwable> chain(Throwable failure) {
        List<Throwable> out = new ArrayList<>();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        collect(failure, out, seen);
        return out;
    }

    private static void collect(Throwable t, List<Throwable> out, Map<Throwable, Boolean> seen) {
        for (; t != null && seen.put(t, true) == null; t = t.getCause()) {
            out.add(t);
            for (Throwable s : t.getSuppressed()) {
                collect(s, out, seen);
            }
        }
    }

    /** What a message names: the URL (never a password: the URL holds none), the ACL user and the timeout. */
    private record Context(String url, String user, String timeout) {
        static Context of(TallyConfig config) {
            if (config == null) {
                return new Context("the configured URL", "default", "the command timeout");
            }
            String url = config.redisUrl();
            String user = "default";
            try {
                String first = RedisClientFactory.parseSeeds(url).get(0).user();
                user = first == null ? user : first;
            } catch (RuntimeException unparsable) {
                // a URL that does not parse fails at connect with its own message; keep the default user here
            }
            return new Context(url, user, config.get(TallyConfig.REDIS_TIMEOUT_MS) + " ms");
        }

        String cannotConnect() {
            return "cannot connect to Redis at " + url + ": ";
        }
    }
}
