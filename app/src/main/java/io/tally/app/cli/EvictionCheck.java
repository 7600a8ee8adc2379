package io.tally.app.cli;

import io.tally.common.config.ConfigException;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.Namespace;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintWriter;

/**
 * Checks Redis's {@code maxmemory-policy} before a command runs. Tally needs {@code noeviction}: an
 * evicted counter, checkpoint or dedupe key loses counts or applies entries twice, and processors pause
 * applying while any master may evict. So a command that writes (and {@code tally serve}) refuses with
 * exit 2 before writing anything, since what it wrote would wait unapplied and could itself be evicted;
 * a command that only reads warns on stderr and goes on, so that {@code tally status} and friends still
 * help to find out what is wrong. A user that may not run {@code INFO} skips the check (logged at DEBUG).
 */
final class EvictionCheck {
    private static final Logger log = LoggerFactory.getLogger(EvictionCheck.class);

    /** What a command does with Redis, which decides between a refusal and a warning. */
    enum Access { READ, WRITE }

    private EvictionCheck() {
    }

    /**
     * @param command the command's name, for the warning
     * @throws ConfigException when {@code access} is {@link Access#WRITE} and a master may evict keys
     */
    static void check(RedissonClient redis, TallyConfig config, Access access, String command, PrintWriter err) {
        String evicting;
        try {
            evicting = Namespace.evictingPolicy(redis, config.get(TallyConfig.REDIS_MODE));
        } catch (RuntimeException e) {
            log.debug("cannot read maxmemory-policy (INFO memory); not checked", e);
            return;
        }
        if (evicting == null) {
            return;
        }
        String fix = "set 'maxmemory-policy noeviction' (redis.conf, or CONFIG SET maxmemory-policy noeviction)";
        if (access == Access.WRITE) {
            throw new ConfigException(evicting + ", which may evict Tally's keys (losing counts or applying entries "
                    + "twice); processors pause applying until it is noeviction. Nothing was written; " + fix);
        }
        err.println(command + ": warning: " + evicting + "; Tally needs noeviction, values may be missing and "
                + "processors pause applying until it is noeviction; " + fix);
    }
}
