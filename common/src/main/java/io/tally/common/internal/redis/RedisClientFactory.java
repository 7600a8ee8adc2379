package io.tally.common.internal.redis;

import io.tally.common.config.ConfigException;
import io.tally.common.config.HotPathConnection;
import io.tally.common.config.RedisMode;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.resp.RespEndpoint;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;
import org.redisson.config.DelayStrategy;
import org.redisson.config.EqualJitterDelay;
import org.redisson.config.ReadMode;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the Redisson client from a {@link TallyConfig}: standalone, Cluster or Sentinel; redis:// or
 * rediss:// (TLS, optionally with a PEM CA file); ACL user from the URL and password from the
 * environment or a file. Reads and writes go to masters only.
 */
public final class RedisClientFactory {
    /** How often the client sends a command again after an attempt failed (no connection, no reply in time). */
    public static final int RETRY_ATTEMPTS = 2;
    /** The pause before each such retry, Redisson's default: 0.5 to 1 s before the first, 1 to 2 s before the next. */
    public static final DelayStrategy RETRY_DELAY = new EqualJitterDelay(Duration.ofSeconds(1), Duration.ofSeconds(2));

    private RedisClientFactory() {
    }

    /**
     * Connects to Redis.
     *
     * @throws ConfigException when the TLS handshake fails because the server's certificate is not
     *                         trusted (wrong or missing CA file): a retry cannot fix that
     */
    public static RedissonClient create(TallyConfig config) {
        Config redissonConfig = redissonConfig(config);
        try {
            return Redisson.create(redissonConfig);
        } catch (RuntimeException e) {
            Throwable tls = tlsFailure(e);
            if (tls == null) {
                throw e;
            }
            String caFile = config.get(TallyConfig.REDIS_TLS_CA_FILE);
            throw new ConfigException("TLS handshake with Redis at " + config.redisUrl() + " failed: the server's "
                    + "certificate is not trusted by " + (caFile.isEmpty() ? "the JVM's default trust store"
                    : "the CA in " + caFile) + " (" + tls.getMessage() + "). Set --redis-tls-ca-file "
                    + "(TALLY_REDIS_TLS_CA_FILE) to the PEM of the CA that signed the Redis server certificate.");
        }
    }

    /** The TLS handshake error in a connection failure's causes, if that is what it was. */
    private static Throwable tlsFailure(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLHandshakeException || t instanceof java.security.cert.CertificateException) {
                return t;
            }
            for (Throwable s : t.getSuppressed()) {
                Throwable inner = tlsFailure(s);
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    static Config redissonConfig(TallyConfig config) {
        List<RedisAddress> seeds = parseSeeds(config.redisUrl());
        Config rc = new Config();
        rc.setCodec(StringCodec.INSTANCE);
        // Tally stores no Redisson live objects; without this Redisson inspects every argument of every
        // command for an entity annotation, a measurable share of the hot paths' CPU.
        rc.setReferenceEnabled(false);
        rc.setNettyHook(new LargeReadsNettyHook());
        rc.setNettyThreads(8);
        rc.setThreads(4);
        rc.setTcpKeepAlive(true);
        int timeout = config.get(TallyConfig.REDIS_TIMEOUT_MS);
        servers(rc, seeds, config).setTimeout(timeout).setConnectTimeout(Math.min(timeout, 10_000))
                .setRetryAttempts(RETRY_ATTEMPTS).setRetryDelay(RETRY_DELAY).setPingConnectionInterval(5000);
        credentialsAndTrust(rc, seeds, config);
        return rc;
    }

    /** The servers of {@code redis-mode}: one, a cluster's seeds, or the sentinels of a master. */
    private static BaseConfig<?> servers(Config rc, List<RedisAddress> seeds, TallyConfig config) {
        return switch (config.get(TallyConfig.REDIS_MODE)) {
            case STANDALONE -> {
                if (seeds.size() != 1) {
                    throw new ConfigException("Invalid value for --redis-url: standalone mode takes one URL, got "
                            + seeds.size() + "; set --redis-mode cluster or sentinel for a seed list");
                }
                yield rc.useSingleServer().setAddress(seeds.get(0).address())
                        .setConnectionPoolSize(16).setConnectionMinimumIdleSize(2)
                        .setSubscriptionConnectionPoolSize(1).setSubscriptionConnectionMinimumIdleSize(0);
            }
            case CLUSTER -> rc.useClusterServers().setReadMode(ReadMode.MASTER)
                    .addNodeAddress(seeds.stream().map(RedisAddress::address).toArray(String[]::new))
                    .setMasterConnectionPoolSize(16).setMasterConnectionMinimumIdleSize(2)
                    .setSubscriptionConnectionMinimumIdleSize(0).setScanInterval(1000);
            // Scanning the sentinels every 100 ms (Redisson's default: 1 s) moves clients to a promoted replica
            // sooner: under acks=leader, what the old master takes meanwhile is lost (SentinelFailoverTest).
            case SENTINEL -> rc.useSentinelServers().setReadMode(ReadMode.MASTER)
                    .setMasterName(config.get(TallyConfig.REDIS_SENTINEL_MASTER))
                    .addSentinelAddress(seeds.stream().map(RedisAddress::address).toArray(String[]::new))
                    .setCheckSentinelsList(false).setScanInterval(100)
                    .setSubscriptionConnectionMinimumIdleSize(0);
        };
    }

    /**
     * User, password and TLS trust, set on Config, where Redisson 4 reads them: its per-server setters are
     * deprecated and log a warning on every client built.
     */
    private static void credentialsAndTrust(Config rc, List<RedisAddress> seeds, TallyConfig config) {
        String user = seeds.get(0).user();
        if (user != null) {
            rc.setUsername(user);
        }
        String password = config.redisPassword();
        if (password != null && !password.isEmpty()) {
            rc.setPassword(password);
        }
        String caFile = config.get(TallyConfig.REDIS_TLS_CA_FILE);
        if (!caFile.isEmpty()) {
            rc.setSslTrustManagerFactory(trustManagerFor(Path.of(caFile)));
        }
    }

    /** Parses a comma-separated list of redis:// or rediss:// URLs. A password in a URL is refused. */
    public static List<RedisAddress> parseSeeds(String urls) {
        List<RedisAddress> seeds = new ArrayList<>();
        for (String raw : urls.split(",")) {
            String url = raw.trim();
            if (url.isEmpty()) {
                continue;
            }
            seeds.add(RedisAddress.parse(url));
        }
        if (seeds.isEmpty()) {
            throw new ConfigException("Invalid value for --redis-url: no URL given");
        }
        return seeds;
    }

    /**
     * Where a hot path's own connection to a standalone Redis goes ({@code hot-path-connection direct}),
     * or empty otherwise: Sentinel and {@code hot-path-connection redisson} use the Redisson client, and
     * so does Cluster unless the caller routes by slot itself ({@link #hotPathClusterSeeds}). Same TLS
     * trust, ACL user and password as the client.
     *
     * @param clientName the CLIENT SETNAME of the connection, as it shows in CLIENT LIST
     */
    public static Optional<RespEndpoint> hotPathEndpoint(TallyConfig config, String clientName) {
        if (config.get(TallyConfig.HOT_PATH_CONNECTION) != HotPathConnection.DIRECT
                || config.get(TallyConfig.REDIS_MODE) != RedisMode.STANDALONE) {
            return Optional.empty();
        }
        RedisAddress address = parseSeeds(config.redisUrl()).get(0);
        return Optional.of(new RespEndpoint(address.host(), address.port(),
                address.tls() ? tlsSocketFactory(config) : null, address.user(), config.redisPassword(),
                config.get(TallyConfig.REDIS_TIMEOUT_MS), clientName));
    }

    /**
     * The seeds from which the processor's hot path reads a Cluster's slot map to connect to each master
     * itself ({@code hot-path-connection direct} with {@code redis-mode cluster}), or empty otherwise.
     * Same TLS trust, ACL user and password as the client; every master is reached with them.
     *
     * @param clientName the CLIENT SETNAME of each master's connection, as it shows in CLIENT LIST
     */
    public static Optional<List<RespEndpoint>> hotPathClusterSeeds(TallyConfig config, String clientName) {
        if (config.get(TallyConfig.HOT_PATH_CONNECTION) != HotPathConnection.DIRECT
                || config.get(TallyConfig.REDIS_MODE) != RedisMode.CLUSTER) {
            return Optional.empty();
        }
        List<RespEndpoint> seeds = new ArrayList<>();
        for (RedisAddress address : parseSeeds(config.redisUrl())) {
            seeds.add(new RespEndpoint(address.host(), address.port(), address.tls() ? tlsSocketFactory(config) : null,
                    address.user(), config.redisPassword(), config.get(TallyConfig.REDIS_TIMEOUT_MS), clientName));
        }
        return Optional.of(seeds);
    }

    /**
     * A TLS socket factory that trusts what the Redisson client trusts: the CA of
     * {@code redis-tls-ca-file}, or the JVM's default trust store. For connections Tally opens itself.
     */
    public static SSLSocketFactory tlsSocketFactory(TallyConfig config) {
        String caFile = config.get(TallyConfig.REDIS_TLS_CA_FILE);
        if (caFile.isEmpty()) {
            return (SSLSocketFactory) SSLSocketFactory.getDefault();
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagerFor(Path.of(caFile)).getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new ConfigException("Invalid value for --redis-tls-ca-file: cannot set up TLS with " + caFile + ": " + e);
        }
    }

    static TrustManagerFactory trustManagerFor(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new ConfigException("Invalid value for --redis-tls-ca-file: " + caFile + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return tmf;
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("Invalid value for --redis-tls-ca-file: cannot read " + caFile + ": " + e.getMessage());
        }
    }

    /** One seed: scheme, host, port and optional ACL user. */
    public record RedisAddress(boolean tls, String host, int port, String user) {
        static RedisAddress parse(String url) {
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new ConfigException("Invalid value for --redis-url: '" + redacted(url) + "' is not a URL ("
                        + e.getReason() + ")");
            }
            String scheme = uri.getScheme();
            if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
                throw new ConfigException("Invalid value for --redis-url: '" + redacted(url)
                        + "' must start with redis:// or rediss://");
            }
            if (uri.getHost() == null) {
                throw new ConfigException("Invalid value for --redis-url: '" + redacted(url) + "' has no host");
            }
            String user = uri.getUserInfo();
            if (user != null && user.contains(":")) {
                throw new ConfigException("Invalid value for --redis-url: a password in the URL would show in ps and logs; "
                        + "set TALLY_REDIS_PASSWORD or --redis-password-file instead");
            }
            int port = uri.getPort() == -1 ? 6379 : uri.getPort();
            return new RedisAddress("rediss".equals(scheme), uri.getHost(), port, user == null || user.isEmpty() ? null : user);
        }

        /**
         * The URL as a message may quote it: whatever precedes an {@code @} (a user, and a password
         * someone put there by mistake) masked, so that a refusal never prints a secret.
         */
        static String redacted(String url) {
            int at = url.lastIndexOf('@');
            int scheme = url.indexOf("://");
            int start = scheme < 0 ? 0 : scheme + 3;
            return at < start ? url : url.substring(0, start) + "****" + url.substring(at);
        }

        /** The address as Redisson takes it, without user info. */
        public String address() {
            String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
            return (tls ? "rediss://" : "redis://") + h + ":" + port;
        }
    }
}
