package io.tally.app.cli;

import io.tally.common.config.RedisMode;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.protocol.Time;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The moment a command was started, on Redis's clock. Processors fire time triggers on Redis time, and a
 * user who types {@code --at} three seconds ahead or {@code --in 10s} means from the moment the command
 * was started, not from whenever the JVM got to ask: starting the JVM and connecting take a few hundred
 * milliseconds to seconds. So when {@code tally} runs as a process of its own ({@link TallyMain#main}),
 * the start is the process's start time (the launcher {@code exec}s java, so that is when the command was
 * typed); when a command runs inside another program ({@link TallyMain#run}), it is the moment it asks.
 * Either is moved onto Redis's clock by the offset between Redis's {@code TIME} and this machine's clock.
 */
final class CommandClock {
    /** The command's start by this machine's clock, epoch ms; -1: the moment it is asked. */
    private static volatile long startedAtMs = -1;

    private CommandClock() {
    }

    /** Records when the command started, by this machine's clock (-1: whenever the clock is asked). */
    static void startedAt(long epochMs) {
        startedAtMs = epochMs;
    }

    /** When this process started, by this machine's clock; {@code fallback} when the OS does not say. */
    static long processStartMs(long fallback) {
        return ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli)
                .filter(start -> start <= fallback).orElse(fallback);
    }

    /** The command's start on Redis's clock, as a fixed instant (one per command). */
    static InstantSource startedOnRedisTime(RedissonClient redis, RedisMode mode) {
        long localBefore = System.currentTimeMillis();
        long redisNow = redisTimeMs(redis, mode);
        long localNow = (localBefore + System.currentTimeMillis()) / 2;
        long start = startedAtMs;
        long elapsed = start < 0 ? 0 : Math.max(0, localNow - start);
        return InstantSource.fixed(Instant.ofEpochMilli(redisNow - elapsed));
    }

    private static long redisTimeMs(RedissonClient redis, RedisMode mode) {
        RedisNode node = switch (mode) {
            case STANDALONE -> redis.getRedisNodes(RedisNodes.SINGLE).getInstance();
            case CLUSTER -> redis.getRedisNodes(RedisNodes.CLUSTER).getMasters().iterator().next();
            case SENTINEL -> redis.getRedisNodes(RedisNodes.SENTINEL_MASTER_SLAVE).getMaster();
        };
        Time time = node.time();
        return time.getSeconds() * 1000L + time.getMicroseconds() / 1000;
    }
}
