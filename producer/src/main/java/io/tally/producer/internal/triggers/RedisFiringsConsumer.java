package io.tally.producer.internal.triggers;

import io.tally.common.internal.concurrent.DaemonThreads;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisFailures;
import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.common.internal.log.KeyedWarnings;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.trigger.Firing;
import io.tally.producer.firings.FiringHandler;
import io.tally.producer.firings.FiringsConsumer;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link FiringsConsumer} on Redisson: one thread polls every partition's {@code firings} stream with its
 * own XREADGROUP (pipelined, never one cross-slot call), claims with {@code firings_claim.lua} and
 * dead-letters to {@code firings-dlq}, keeping the handler's last error in {@code firings-errors}.
 */
public final class RedisFiringsConsumer implements FiringsConsumer {
    private static final Logger log = LoggerFactory.getLogger(RedisFiringsConsumer.class);
    private static final LuaScript ENSURE_GROUPS = LuaScript.resource("ensure_groups");
    private static final LuaScript CLAIM = LuaScript.resource("firings_claim");
    private static final LuaScript READ = LuaScript.resource("firings_read");
    private static final LuaScript ACK = LuaScript.resource("firings_ack");
    /** Longest error text kept for a dead letter. */
    static final int MAX_ERROR_CHARS = 1000;
    /** Most fields of a firing entry copied into its dead letter (a processor writes at most 107). */
    public static final int MAX_DEAD_LETTER_FIELDS = 200;

    private final RedissonClient redis;
    private final Keys keys;
    private final int partitions;
    private final String group;
    private final String consumer;
    private final FiringHandler handler;
    private final int maxDeliveries;
    private final long claimIdleMs;
    private final int batchSize;
    private final long pollMs;
    private final String[] claimCursors;
    /** Per partition: why its dead-letter stream could not take firings at the last claim ('' when it could). */
    private final String[] dlqBlocked;
    /** Per partition: why its firings could not be read at the last poll ('' when they could). */
    private final String[] readBlocked;
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    /** The WARN line of each firings key of another type, at most one a minute per key. */
    private final KeyedWarnings groupWarnings = new KeyedWarnings(log, 60_000);
    /** For the failure lines: Redis's address and user. */
    private final TallyConfig config;

    private RedisFiringsConsumer(Builder b) {
        this.redis = b.redis;
        this.config = b.config;
        Namespace ns = Namespace.open(redis, b.config);
        this.keys = ns.keys();
        this.partitions = ns.partitions();
        this.group = b.group;
        this.consumer = b.consumer;
        this.handler = b.handler;
        this.maxDeliveries = b.maxDeliveries;
        this.claimIdleMs = b.claimIdle.toMillis();
        this.batchSize = b.batchSize;
        this.pollMs = b.poll.toMillis();
        this.claimCursors = new String[partitions];
        java.util.Arrays.fill(claimCursors, "0-0");
        this.dlqBlocked = new String[partitions];
        java.util.Arrays.fill(dlqBlocked, "");
        this.readBlocked = new String[partitions];
        java.util.Arrays.fill(readBlocked, "");
        ensureGroups();
        loadScripts();
        this.thread = DaemonThreads.start("tally-firings-" + group + "-" + consumer, this::run);
    }

    /** Starts building a consumer of {@code group} on the namespace of {@code config}, on a shared Redis client. */
    public static Builder builder(RedissonClient redis, TallyConfig config, String group, FiringHandler handler) {
        return new Builder(redis, config, group, handler);
    }

    @Override
    public long handled() {
        return handled.get();
    }

    @Override
    public long failures() {
        return failures.get();
    }

    @Override
    public long deadLettered() {
        return deadLettered.get();
    }

    @Override
    public String consumerName() {
        return consumer;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long nextClaim = System.currentTimeMillis() + claimIdleMs / 2;
        while (running) {
            try {
                int n = 0;
                if (System.currentTimeMillis() >= nextClaim) {
                    n += claimRound();
                    nextClaim = System.currentTimeMillis() + Math.max(50, claimIdleMs / 2);
                }
                n += readRound();
                if (n == 0) {
                    Thread.sleep(pollMs);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (Namespace.isNoGroup(e) && restoreGroups()) {
                    continue;
                }
                if (LuaScript.isNoScript(e)) {
                    log.info("firings consumer {}/{}: Redis forgot the scripts (restart or failover); loading them again",
                            group, consumer);
                    loadScripts();
                    continue;
                }
                log.warn("firings consumer {}/{}: {}; retrying in 1 s", group, consumer, RedisFailures.line(e, config));
                sleepQuietly(1000);
            }
        }
    }

    private int readRound() throws InterruptedException {
        RBatch batch = redis.createBatch();
        List<RFuture<List<Object>>> replies = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            replies.add(READ.evalAsync(batch.getScript(StringCodec.INSTANCE), RScript.ReturnType.LIST,
                    List.of(keys.firings(p)), group, consumer, batchSize));
        }
        batch.execute();
        int n = 0;
        for (int p = 0; p < partitions; p++) {
            List<Object> r = replies.get(p).toCompletableFuture().join();
            reportReadBlocked(p, "BLOCKED".equals(r.get(0)) ? String.valueOf(r.get(1)) : "");
            for (int i = 1; i + 1 < r.size(); i += 2) { // in stream order
                deliver(p, String.valueOf(r.get(i)), fields((List<?>) r.get(i + 1)), false);
                n++;
            }
        }
        return n;
    }

    private int claimRound() throws InterruptedException {
        int n = 0;
        for (int p = 0; p < partitions && running; p++) {
            List<Object> r = CLAIM.eval(redis, RScript.ReturnType.LIST, List.of(keys.firings(p), keys.firingsDlq(p),
                    keys.firingsErrors(p)),
                    group, consumer, claimIdleMs, maxDeliveries, batchSize, claimCursors[p], MAX_DEAD_LETTER_FIELDS);
            claimCursors[p] = String.valueOf(r.get(0));
            reportDlqBlocked(p, String.valueOf(r.get(3)));
            long dead = ((Number) r.get(1)).longValue();
            if (dead > 0) {
                deadLettered.addAndGet(dead);
                log.error("firings consumer {}/{}: {} firings of partition {} failed {} deliveries and were moved to {}",
                        group, consumer, dead, p, maxDeliveries, keys.firingsDlq(p));
            }
            long deleted = ((Number) r.get(2)).longValue();
            if (deleted > 0) {
                log.error("firings consumer {}/{}: {} pending firings of partition {} were trimmed before they were "
                        + "handled and are lost (firings retention shorter than consumer downtime?)", group, consumer,
                        deleted, p);
            }
            for (int i = 4; i + 2 < r.size(); i += 3) {
                deliver(p, String.valueOf(r.get(i)), fields((List<?>) r.get(i + 1)), true);
                n++;
            }
        }
        return n;
    }

    /** Runs the handler on one firing; {@code redelivered}: claimed, so an earlier error may be recorded. */
    private void deliver(int partition, String id, Map<String, String> fields, boolean redelivered)
            throws InterruptedException {
        Firing firing;
        try {
            firing = Firing.fromFields(partition, id, fields);
        } catch (IllegalArgumentException e) {
            failures.incrementAndGet();
            recordError(partition, id, "not a firing: " + e.getMessage());
            log.error("firings consumer {}/{}: partition {} entry {} is not a firing ({}); left pending, it goes to "
                    + "the dead-letter stream after {} deliveries", group, consumer, partition, id, e.getMessage(),
                    maxDeliveries);
            return;
        }
        try {
            handler.handle(firing);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception | Error e) {
            // an Error too (an assertion, a missing class): one poison firing must not end the consumer's thread
            failures.incrementAndGet();
            recordError(partition, id, e.toString());
            log.warn("firings consumer {}/{}: handler failed on firing {} (partition {}, entry {}): {}; it stays "
                    + "pending and is retried after {} ms", group, consumer, firing.firingId(), partition, id,
                    e.toString(), claimIdleMs);
            return;
        }
        if (!running && Thread.currentThread().isInterrupted()) {
            return; // closed mid-handler: leave it pending for another consumer
        }
        // one round trip: the ack and, when redelivered, the removal of the error an earlier delivery may have left
        ACK.eval(redis, StringCodec.INSTANCE, RScript.ReturnType.LONG,
                List.of(keys.firings(partition), keys.firingsErrors(partition)), group, id, redelivered ? "1" : "0");
        handled.incrementAndGet();
    }

    /** Logs when a partition's firings key starts or stops holding something other than a stream. */
    private void reportReadBlocked(int partition, String why) {
        if (why.equals(readBlocked[partition])) {
            return;
        }
        if (why.isEmpty()) {
            log.info("firings consumer {}/{}: partition {} can be read again", group, consumer, partition);
        } else {
            log.error("firings consumer {}/{}: partition {} cannot be read ({}); the other partitions go on (see "
                    + "docs/triggers.md, 'When a firing cannot be written')", group, consumer, partition, why);
        }
        readBlocked[partition] = why;
    }

    /** Logs when a partition's dead-letter stream starts or stops refusing firings (another type, ids used up). */
    private void reportDlqBlocked(int partition, String why) {
        if (why.equals(dlqBlocked[partition])) {
            return;
        }
        if (why.isEmpty()) {
            log.info("firings consumer {}/{}: partition {} can dead-letter firings again", group, consumer, partition);
        } else {
            log.error("firings consumer {}/{}: partition {} cannot dead-letter firings ({}); those past {} deliveries "
                    + "stay pending until the key is repaired (see docs/triggers.md, 'FiringsConsumer')", group,
                    consumer, partition, why, maxDeliveries);
        }
        dlqBlocked[partition] = why;
    }

    /**
     * Creates the group again on every partition after Redis lost it (a restart without persistence,
     * FLUSHALL, an empty replica promoted), at id 0 like at the start, so that firings written since are
     * delivered. A partition whose firings key holds another type is left out ({@link #ensureGroups}); its group is
     * made here once the key is repaired (deleted, its read then answers NOGROUP).
     *
     * @return whether a group was created (else the NOGROUP was not one this can mend: wait before the next try)
     */
    private boolean restoreGroups() {
        int created;
        try {
            created = ensureGroups();
        } catch (RuntimeException e) {
            return false;
        }
        if (created == 0) {
            return false;
        }
        java.util.Arrays.fill(claimCursors, "0-0");
        log.error("firings consumer {}/{}: the consumer group was missing on {} firings stream(s) (Redis lost its "
                + "data?); created it again at id 0: firings that Redis lost are not delivered, those still stored may "
                + "be delivered again", group, consumer, created);
        return true;
    }

    /**
     * Keeps the handler's error where whichever consumer dead-letters the firing finds it. Best effort:
     * if Redis fails here the firing is still pending and retried; its dead letter may then carry an
     * older error or none.
     */
    private void recordError(int partition, String id, String error) {
        String text = consumer + ": " + error;
        if (text.length() > MAX_ERROR_CHARS) {
            text = text.substring(0, MAX_ERROR_CHARS);
        }
        try {
            redis.<String, String>getMap(keys.firingsErrors(partition), StringCodec.INSTANCE).fastPut(errorField(id), text);
        } catch (RuntimeException e) {
            log.warn("firings consumer {}/{}: could not record the handler error of entry {} on partition {} ({})",
                    group, consumer, id, partition, e.toString());
        }
    }

    /** Entry ids contain no space, so this field is unambiguous whatever the group's name. */
    private String errorField(String id) {
        return id + " " + group;
    }

    private static Map<String, String> fields(List<?> flat) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            m.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        }
        return m;
    }

    private void loadScripts() {
        CLAIM.load(redis);
        READ.load(redis);
        ACK.load(redis);
    }

    /**
     * Makes the group on each partition's firings stream, each on its own: a partition whose key another program
     * made another type is left out with a WARN naming the key (at most one a minute per key), so that it never
     * keeps the consumer from starting or from serving the other partitions. Any other failure (Redis down, a
     * denied command) is thrown.
     *
     * @return how many groups were created (not there before)
     */
    private int ensureGroups() {
        ENSURE_GROUPS.load(redis);
        int created = 0;
        for (int p = 0; p < partitions; p++) {
            String key = keys.firings(p);
            try {
                Long mask = ENSURE_GROUPS.eval(redis, RScript.ReturnType.LONG, List.of(key), group);
                created += mask != null && mask != 0 ? 1 : 0;
                groupWarnings.clear(key);
            } catch (RuntimeException e) {
                if (!isWrongType(e)) {
                    throw e;
                }
                groupWarnings.warn(key, "firings consumer {}/{}: partition {}: {} holds another type than a stream "
                        + "(another program wrote it), so group {} cannot be made there; the other partitions are "
                        + "consumed, and this one once the key is deleted (docs/triggers.md)", group, consumer, p, key,
                        group);
            }
        }
        return created;
    }

    /** Whether Redis or a script refused a key of another type (WRONGTYPE first in its error). */
    private static boolean isWrongType(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if ("WRONGTYPE".equals(RedisErrorCode.of(t.getMessage()))) {
                return true;
            }
        }
        return false;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Options of a {@link RedisFiringsConsumer}; each is checked when set. */
    public static final class Builder implements FiringsConsumer.Builder {
        private final RedissonClient redis;
        private final TallyConfig config;
        private final String group;
        private final FiringHandler handler;
        private String consumer = "c-" + UUID.randomUUID().toString().substring(0, 8);
        private int maxDeliveries = 5;
        private Duration claimIdle = Duration.ofSeconds(30);
        private int batchSize = 100;
        private Duration poll = Duration.ofMillis(50);

        private Builder(RedissonClient redis, TallyConfig config, String group, FiringHandler handler) {
            this.redis = Objects.requireNonNull(redis, "redis");
            this.config = Objects.requireNonNull(config, "config");
            if (group == null || group.isBlank() || group.equals(Keys.GROUP)) {
                throw new IllegalArgumentException("firings consumer group must be a non-blank name other than '"
                        + Keys.GROUP + "' (that one belongs to the processors), was '" + group + "'");
            }
            this.group = group;
            this.handler = Objects.requireNonNull(handler, "handler");
        }

        @Override
        public Builder consumerName(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("consumer name must not be blank");
            }
            this.consumer = name;
            return this;
        }

        @Override
        public Builder maxDeliveries(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxDeliveries must be at least 1, was " + n);
            }
            this.maxDeliveries = n;
            return this;
        }

        @Override
        public Builder claimIdle(Duration d) {
            if (d.toMillis() < 10) {
                throw new IllegalArgumentException("claimIdle must be at least 10 ms, was " + d.toMillis() + " ms");
            }
            this.claimIdle = d;
            return this;
        }

        @Override
        public Builder batchSize(int n) {
            if (n < 1 || n > 10_000) {
                throw new IllegalArgumentException("batchSize must be within 1..10000, was " + n);
            }
            this.batchSize = n;
            return this;
        }

        @Override
        public Builder pollInterval(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + d);
            }
            this.poll = d;
            return this;
        }

        @Override
        public FiringsConsumer start() {
            return new RedisFiringsConsumer(this);
        }
    }
}
