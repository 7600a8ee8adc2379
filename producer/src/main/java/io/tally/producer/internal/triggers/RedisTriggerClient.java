package io.tally.producer.internal.triggers;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.log.KeyedWarnings;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.common.internal.text.ForeignText;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.internal.trigger.TriggerIds;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerStatus;
import io.tally.common.trigger.UnreadableTriggerException;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.internal.SendFailureReason;
import io.tally.producer.internal.SingleAttempt;
import io.tally.producer.internal.scan.PageBound;
import io.tally.producer.internal.scan.ScanPosition;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerLimitException;
import io.tally.producer.triggers.TriggerPage;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RMapAsync;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link TriggerClient} on Redisson and the trigger scripts. */
public final class RedisTriggerClient implements TriggerClient {
    private static final Logger log = LoggerFactory.getLogger(RedisTriggerClient.class);
    private static final LuaScript CREATE = LuaScript.resource("trigger_create");
    private static final LuaScript CANCEL = LuaScript.resource("trigger_cancel");
    private static final LuaScript LIST = LuaScript.resource("trigger_list");
    /**
     * Elements of a {@code trigger_list.lua} reply before its oversize triggers: next cursor, taken or left, bytes,
     * number of oversize triggers (each id, largest field, its bytes).
     */
    private static final int LIST_HEADER = 4;
    /** HSCAN calls one page of {@link #listPage} may make: filters few triggers match end a page early. */
    private static final int MAX_SCANS_PER_PAGE = 16;
    /**
     * Largest COUNT of one call of {@link #listPage}, and what a call's COUNT may grow by over the one before: a
     * page of few matches (a filter) reads on with growing calls, so that one page holds Redis at most 16 calls of
     * this (some 10,000 triggers looked at), and one call a bounded time.
     */
    static final int MAX_SCAN_COUNT = 8192;
    private static final int COUNT_GROWTH = 4;
    /**
     * Most bytes of definitions a call with a kind filter decodes to judge their kinds (unless it is taken whole at
     * the page's initial COUNT, some 16 triggers): some 20 ms of Redis, where a COUNT of {@link #MAX_SCAN_COUNT} over
     * definitions at Tally's caps decoded some 120 MB in 400 ms. A call that would decode more is made again on the
     * same cursor with a quarter of its COUNT, which then bounds the page's further calls.
     */
    static final int MAX_DECODED_BYTES_PER_CALL = 4 << 20;
    /**
     * Fewest hash fields of a trigger Tally stores: its definition, status, fireCount and createdAt (more as it goes:
     * head, armed, lastFiredAt, canceledAt). A call of COUNT this many times n visits about n triggers at most.
     */
    private static final int MIN_FIELDS_PER_TRIGGER = 4;
    /**
     * Most stored bytes of one trigger within Tally's caps: {@code params} (8 KiB) and {@code match} (2 KiB) of
     * UTF-8, each byte at most 6 in JSON (a control character's escape), the rest of the definition, its id and state fields.
     */
    static final int MAX_STORED_TRIGGER_BYTES = 64 << 10;
    /** Field of a partition's triggers hash that counts its stored triggers (kept by the create and retention scripts). */
    private static final String STORED_COUNT = ":count";
    /**
     * Field of a partition's triggers hash that sums the firings a second of its active repeating time triggers, in
     * millionths (kept by the create and cancel scripts; the processor's {@code time_rate_backfill.lua} adds the
     * triggers an older version stored without a share).
     */
    private static final String TIME_RATE = ":time-rate";
    private static final long MICROS = 1_000_000;
    /** At most one WARN line a minute per partition about triggers a listing leaves out (each call meets them). */
    static final long LEFT_OUT_WARNING_INTERVAL_MS = 60_000;

    private final RedissonClient redis;
    /** For the create and the cancel, whose failures tell whether they may have run ({@link SingleAttempt}). */
    private final RScript once;
    private final boolean ownsClient;
    private final Keys keys;
    private final Partitioner partitioner;
    private final InstantSource clock;
    private final int maxPerKey;
    private final int maxTriggers;
    private final int maxTimeFiringsPerSecond;
    /**
     * Held from reading the partitions' {@value #TIME_RATE} to storing a repeating time trigger, so that this
     * client's creates cannot pass max-time-firings-per-second together.
     */
    private final Object timeRateCheck = new Object();
    private final KeyedWarnings leftOutWarnings = new KeyedWarnings(log, LEFT_OUT_WARNING_INTERVAL_MS);

    private RedisTriggerClient(RedissonClient redis, boolean ownsClient, TallyConfig config, InstantSource clock) {
        this.redis = redis;
        this.once = SingleAttempt.script(redis);
        this.ownsClient = ownsClient;
        Namespace ns = Namespace.open(redis, config);
        this.keys = ns.keys();
        this.partitioner = ns.partitioner();
        this.clock = clock;
        this.maxPerKey = config.get(TallyConfig.MAX_TRIGGERS_PER_KEY);
        this.maxTriggers = config.get(TallyConfig.MAX_TRIGGERS);
        this.maxTimeFiringsPerSecond = config.get(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND);
    }

    /** A client with its own Redis client, closed with it. */
    public static RedisTriggerClient create(TallyConfig config) {
        RedissonClient redis = RedisClientFactory.create(config);
        try {
            return new RedisTriggerClient(redis, true, config, InstantSource.system());
        } catch (RuntimeException e) {
            redis.shutdown();
            throw e;
        }
    }

    /** A client on a shared Redis client (left open by {@link #close()}); {@code clock} judges "in the past". */
    public static RedisTriggerClient create(RedissonClient redis, TallyConfig config, InstantSource clock) {
        return new RedisTriggerClient(redis, false, config, clock);
    }

    /**
     * Refuses a trigger once the namespace stores {@code max-triggers}: the sum of the stored-trigger counts
     * the create script keeps per partition. A soft cap: creates racing each other may pass it by a few.
     * Refuses a repeating time trigger whose firings a second would take those of the namespace's active repeating
     * time triggers (the sum of the partitions' {@value #TIME_RATE}) past {@code max-time-firings-per-second}.
     */
    private void requireRoomInNamespace(TriggerDefinition def) {
        RBatch batch = redis.createBatch();
        List<RFuture<Map<String, String>>> fields = new ArrayList<>();
        for (int p = 0; p < partitioner.partitions(); p++) {
            RMapAsync<String, String> triggers = batch.getMap(keys.triggers(p), StringCodec.INSTANCE);
            fields.add(triggers.getAllAsync(Set.of(STORED_COUNT, TIME_RATE)));
        }
        batch.execute();
        long stored = 0;
        long timeRate = 0;
        for (int p = 0; p < fields.size(); p++) {
            Map<String, String> f = fields.get(p).toCompletableFuture().join();
            stored += storedNumber(p, STORED_COUNT, f.get(STORED_COUNT), Long.MIN_VALUE, "count of triggers",
                    "the number of triggers that hash stores");
            if (repeatingTime(def)) {
                timeRate += storedNumber(p, TIME_RATE, f.get(TIME_RATE), 0, "rate of firings",
                        "the sum of 1e9 / every over the active repeating time triggers that hash stores");
            }
        }
        if (stored >= maxTriggers) {
            throw new TriggerLimitException(TallyConfig.MAX_TRIGGERS.name(), maxTriggers, "trigger refused: namespace '"
                    + keys.namespace() + "' stores " + stored + " triggers, at most " + maxTriggers
                    + " allowed (max-triggers; finished ones count until finished-trigger-retention-ms deletes them); "
                    + "nothing was written: cancel triggers or raise the cap");
        }
        if (repeatingTime(def) && timeRate + timeRate(def.every()) > maxTimeFiringsPerSecond * MICROS) {
            throw new TriggerLimitException(TallyConfig.MAX_TIME_FIRINGS_PER_SECOND.name(), maxTimeFiringsPerSecond,
                    "trigger refused: the active repeating time triggers of namespace '" + keys.namespace()
                    + "' fire " + firings(timeRate) + " times a second, and this one (every " + def.every() + " ms) "
                    + "would add " + firings(timeRate(def.every())) + ", at most " + maxTimeFiringsPerSecond
                    + " allowed (max-time-firings-per-second); nothing was written: cancel repeating time triggers, "
                    + "repeat less often, or raise the cap");
        }
    }

    private static boolean repeatingTime(TriggerDefinition def) {
        return def.kind() == TriggerKind.TIME && def.every() != null;
    }

    /**
     * The firings a second, in millionths, of a trigger repeating every {@code everyMs}: 1e9 / everyMs rounded up,
     * as {@code trigger_create.lua} adds it and {@code trigger_cancel.lua} gives it back.
     */
    static long timeRate(long everyMs) {
        return everyMs >= 1_000_000_000L ? 1 : (1_000_000_000L + everyMs - 1) / everyMs;
    }

    /** Millionths of a firing a second as firings a second, two decimals. */
    private static String firings(long micros) {
        return String.format(Locale.ROOT, "%.2f", micros / (double) MICROS);
    }

    /** A partition's stored count or rate; one that is no number of at least {@code least} was written by someone else. */
    private long storedNumber(int p, String field, String value, long least, String what, String fix) {
        if (value == null) {
            return 0;
        }
        try {
            long n = Long.parseLong(value);
            if (n >= least) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalStateException("trigger refused: field '" + field + "' of " + keys.triggers(p)
                + " holds no " + what + " (a program other than Tally wrote it); nothing was written: set it to " + fix);
    }

    @Override
    public Trigger create(TriggerDefinition def) {
        long now = clock.millis();
        def.checkNotInPast(now);
        String id = TriggerIds.newId(def, partitioner, now);
        int p = TriggerIds.partitionOf(id, partitioner.partitions());
        String json = TriggerJson.writeDefinition(id, def);
        if (!repeatingTime(def)) {
            return store(def, id, p, json);
        }
        synchronized (timeRateCheck) {
            return store(def, id, p, json);
        }
    }

    /** Checks the namespace's caps, then runs the create script: the trigger as stored, or why not. */
    private Trigger store(TriggerDefinition def, String id, int p, String json) {
        requireRoomInNamespace(def);
        String head = def.kind() == TriggerKind.TIME ? "" : TriggerJson.writeHead(id, def);
        List<Object> scriptKeys = List.of(keys.triggers(p), keys.schedule(p), keys.triggersByEvent(p),
                keys.triggersByCounter(p), keys.counters(p));
        Object[] argv = {id, def.kind().wire(), json, def.routingKey() == null ? "" : def.routingKey(),
                def.op() == null ? "" : def.op().symbol(), def.value() == null ? "" : def.value().toString(),
                def.at() == null ? "" : def.at().toString(), def.every() == null ? "" : def.every().toString(),
                Integer.toString(maxPerKey), head};
        // Retried with the same id, which the script answers EXISTS once a create ran: never stored twice. A reply
        // lost (Redis slow, paused or stopped, or the connection broken after the call left) leaves the create
        // unknown even when a retry then cannot connect or is refused, so that failure is not "nothing was written".
        List<Object> reply = SingleAttempt.retried(() -> accepted(def, id, p, CREATE.eval(redis, once,
                RScript.ReturnType.LIST, scriptKeys, argv)), refusal -> unknownCreate(id, refusal));
        if ("EXISTS".equals(reply.get(0))) {
            // 80 random bits make another create's id practically impossible: this is a retry of this very create
            // after a lost reply (an earlier attempt ran), so the trigger is stored, and is this one.
            return storedAfterCreate(id).orElseThrow(() -> new IllegalStateException("trigger client: a repeat of the "
                    + "create of " + id + " found it stored, and reading it back found it gone: something deleted it "
                    + "meanwhile; create the trigger again"));
        }
        long createdAt = Long.parseLong(String.valueOf(reply.get(1)));
        return new Trigger(id, def, TriggerStatus.ACTIVE, 0, null, createdAt, null);
    }

    /**
     * A create script's reply that stored the trigger (OK, or EXISTS for a repeat of a create that ran); a refusal is
     * thrown, so that {@link SingleAttempt#retried} can tell it apart from a reply after an earlier reply was lost.
     */
    private List<Object> accepted(TriggerDefinition def, String id, int p, List<Object> reply) {
        if ("LIMIT".equals(reply.get(0))) {
            String key = def.kind() == TriggerKind.EVENT ? "event type" : "counter";
            throw new TriggerLimitException(TallyConfig.MAX_TRIGGERS_PER_KEY.name(), maxPerKey, "trigger refused: "
                    + key + " '" + def.routingKey() + "' already has " + reply.get(1) + " active triggers, at most "
                    + maxPerKey + " allowed (max-triggers-per-key); nothing was written: cancel one or raise the cap");
        }
        if (!"OK".equals(reply.get(0)) && !"EXISTS".equals(reply.get(0))) {
            throw new IllegalStateException("trigger client: create of " + id + " on partition " + p + " answered "
                    + reply.get(0) + "; nothing was written, create the trigger again");
        }
        return reply;
    }

    /**
     * The text of a create that may have run: an attempt's reply was lost, and no later attempt was answered
     * ({@code refusal} null) or one was refused. The refused repeat ran before the lost attempt, if that ever runs,
     * so it does not settle the create; reading the trigger does.
     */
    private static String unknownCreate(String id, RuntimeException refusal) {
        String repeat = "";
        if (refusal instanceof TriggerLimitException limit) {
            repeat = ", and a repeat with the same id was refused by " + limit.limit() + ", which does not settle "
                    + "whether the first attempt ran or still will";
        } else if (refusal != null) {
            repeat = ", and a repeat with the same id failed (reason " + SendFailureReason.of(refusal) + "), which does not "
                    + "settle whether the first attempt ran or still will";
        }
        return "trigger " + id + " may or may not have been created: Redis did not answer the create within "
                + "redis-timeout-ms" + repeat + "; read trigger " + id + " (GET /v1/triggers/" + id + ") to know, "
                + "before creating it again";
    }

    /** {@link #get} of a trigger a create stored: a failure to read it must not read as "nothing was written". */
    private Optional<Trigger> storedAfterCreate(String id) {
        try {
            return get(id);
        } catch (RuntimeException e) {
            throw new OutcomeUnknownException("trigger " + id + " was created, but reading it back failed; read "
                    + "trigger " + id + " (GET /v1/triggers/" + id + ") rather than creating it again", e);
        }
    }

    @Override
    public Optional<Trigger> get(String id) {
        int p = TriggerIds.partitionOf(id, partitioner.partitions());
        Map<String, String> f = redis.<String, String>getMap(keys.triggers(p), StringCodec.INSTANCE)
                .getAll(Set.of(id, id + ":status", id + ":fireCount", id + ":lastFiredAt", id + ":createdAt",
                        id + ":canceledAt"));
        if (f.get(id) == null) {
            return Optional.empty();
        }
        return Optional.of(TriggerJson.fromStored(id, f.get(id), f.get(id + ":status"), f.get(id + ":fireCount"),
                f.get(id + ":lastFiredAt"), f.get(id + ":createdAt"), f.get(id + ":canceledAt")));
    }

    @Override
    public List<Trigger> list(TriggerStatus status, TriggerKind kind) {
        // HSCAN may return an entry twice while the hash is resized: keep one per id.
        Map<String, Trigger> out = new LinkedHashMap<>();
        String cursor = null;
        do {
            TriggerPage page = listPage(status, kind, cursor, MAX_PAGE_LIMIT);
            page.triggers().forEach(t -> out.put(t.id(), t));
            cursor = page.cursor();
        } while (cursor != null);
        return new ArrayList<>(out.values());
    }

    /**
     * The triggers of one {@code trigger_list.lua} reply. Any program may write the triggers hash: a trigger
     * whose stored definition or state Tally cannot read is left out, with a WARN line, so that
     * it cannot fail the listing of every other trigger; so is one stored larger than Tally stores any (the script
     * returns only its id, its largest field and that field's size), with a WARN line naming each. Every listing call
     * meets them again: each kind of line is logged at most once per {@link #LEFT_OUT_WARNING_INTERVAL_MS} per partition.
     */
    private List<Trigger> readable(List<Object> reply, int partition) {
        int oversize = ((Number) reply.get(3)).intValue();
        int triggersAt = LIST_HEADER + 3 * oversize;
        if (oversize > 0) {
            List<String> named = new ArrayList<>();
            for (int i = LIST_HEADER; i < triggersAt && named.size() < 20; i += 3) {
                named.add(ForeignText.printable(str(reply.get(i)), 200) + " (field "
                        + ForeignText.printable(str(reply.get(i + 1)), 220) + ": " + reply.get(i + 2) + " bytes)");
            }
            leftOutWarnings.warn("oversize " + partition, "{} trigger(s) of partition {} are stored larger than Tally stores one ({} bytes with their state "
                    + "fields): another program wrote them; left out of the listing unread: {}", oversize, partition,
                    MAX_STORED_TRIGGER_BYTES, String.join(", ", named));
        }
        List<Trigger> out = new ArrayList<>();
        int unreadable = 0;
        String first = null;
        for (int i = triggersAt; i + 6 < reply.size(); i += 7) {
            try {
                out.add(TriggerJson.fromStored(str(reply.get(i)), str(reply.get(i + 1)), str(reply.get(i + 2)),
                        str(reply.get(i + 3)), str(reply.get(i + 4)), str(reply.get(i + 5)), str(reply.get(i + 6))));
            } catch (RuntimeException e) {
                unreadable++;
                if (first == null) {
                    first = ForeignText.printable(str(reply.get(i)), 200) + ": "
                            + ForeignText.printable(String.valueOf(e.getMessage()), 200);
                }
            }
        }
        if (unreadable > 0) {
            leftOutWarnings.warn("unreadable " + partition, "{} trigger(s) of partition {} have a stored definition or state Tally cannot read and were left out "
                    + "of the listing (first: {})", unreadable, partition, first);
        }
        return out;
    }

    /** Triggers of a {@code trigger_list.lua} reply, listed or oversize: each takes a place of the page's limit. */
    private static int triggersOf(List<Object> reply) {
        int oversize = ((Number) reply.get(3)).intValue();
        return oversize + (reply.size() - LIST_HEADER - 3 * oversize) / 7;
    }

    /**
     * Takes each HSCAN call's triggers whole or leaves the call to the next page ({@link PageBound}), so that a
     * listing is a plain HSCAN iteration of each partition and returns every trigger present throughout. The page's
     * first call asks (COUNT) for as many triggers as fit in {@link #MAX_PAGE_BYTES} at Tally's caps
     * ({@link #MAX_STORED_TRIGGER_BYTES} each); each further call for the room the page has left, by number and by
     * bytes, at the rate of triggers and bytes the page received per unit of COUNT so far (a filter that few triggers
     * match makes calls grow), at most {@link #COUNT_GROWTH} times the call before and {@link #MAX_SCAN_COUNT}
     * (with a kind filter, less once a call would decode more than {@link #MAX_DECODED_BYTES_PER_CALL}). A call that would take the page past twice its limit or twice
     * {@link #MAX_PAGE_BYTES} is left whole for the next page. Only a call of the initial COUNT is taken whole
     * whatever it holds (a page must advance): a grown call that does not fit an empty page (calls grow over empty
     * partitions) is made again on the same cursor at the initial COUNT.
     */
    @Override
    public TriggerPage listPage(TriggerStatus status, TriggerKind kind, String cursor, int limit) {
        if (limit < 1 || limit > MAX_PAGE_LIMIT) {
            throw new IllegalArgumentException("limit must be from 1 to " + MAX_PAGE_LIMIT + ", got " + limit);
        }
        int partitions = partitioner.partitions();
        ScanPosition at = ScanPosition.decode(cursor, partitions, "trigger listing");
        List<Trigger> out = new ArrayList<>();
        int taken = 0;
        long bytes = 0;
        // the rate a call returns triggers and bytes per unit of COUNT, from the calls that did not end their
        // partition (one that did may have visited less than its COUNT)
        long rateCount = 0;
        int rateTaken = 0;
        long rateBytes = 0;
        long initial = MIN_FIELDS_PER_TRIGGER * Math.min(limit, MAX_PAGE_BYTES / MAX_STORED_TRIGGER_BYTES);
        long maxCount = MAX_SCAN_COUNT;
        long count = initial;
        boolean retryAtInitial = false;
        boolean retryAtSmaller = false;
        for (int calls = 0; at != null && (calls < MAX_SCANS_PER_PAGE || retryAtInitial || retryAtSmaller); calls++) {
            if (retryAtInitial) {
                count = initial;
                retryAtInitial = false;
            } else if (retryAtSmaller) {
                retryAtSmaller = false;
            } else if (calls > 0) {
                count = Math.min(maxCount, nextCount(count, taken, bytes, limit, rateCount, rateTaken, rateBytes));
                if (count <= 0) {
                    break; // full: no room for one more trigger like those the page holds
                }
            }
            boolean empty = taken == 0 && bytes == 0;
            // only a call of the initial COUNT is taken whole whatever it holds: a grown one could hold thousands
            boolean whole = empty && count <= initial;
            List<Object> reply = LIST.eval(redis, RScript.ReturnType.LIST, List.of(keys.triggers(at.partition())),
                    at.scan(), count, status == null ? "" : status.wire(),
                    kind == null ? "" : kind.wire(), PageBound.hardCap(limit) - taken,
                    PageBound.hardCap(MAX_PAGE_BYTES) - bytes, whole ? "1" : "0", MAX_STORED_TRIGGER_BYTES,
                    MAX_DECODED_BYTES_PER_CALL);
            if ("2".equals(reply.get(1))) {
                if (count <= initial) {
                    break; // left for the next page, whose first call (of the initial COUNT) is taken whole
                }
                // would decode too much to judge kinds: the same cursor with a smaller COUNT, and no larger after
                maxCount = Math.max(initial, count / COUNT_GROWTH);
                count = maxCount;
                retryAtSmaller = true;
                continue;
            }
            if ("0".equals(reply.get(1))) {
                if (!empty) {
                    break; // left whole for the next page, whose first call it is
                }
                // a grown call too large for an empty page: the same cursor again at the initial COUNT (a smaller
                // COUNT on the same HSCAN cursor is an iteration all the same, skipping nothing)
                retryAtInitial = true;
                continue;
            }
            out.addAll(readable(reply, at.partition()));
            int callTaken = triggersOf(reply);
            long callBytes = ((Number) reply.get(2)).longValue();
            taken += callTaken;
            bytes += callBytes;
            String nextScan = String.valueOf(reply.get(0));
            if (!"0".equals(nextScan)) {
                rateCount += count;
                rateTaken += callTaken;
                rateBytes += callBytes;
            }
            at = at.next(nextScan, partitions);
        }
        return new TriggerPage(List.copyOf(out), at == null ? null : at.encode(limit));
    }

    /**
     * The COUNT of a page's next call, for a page holding {@code taken} triggers of {@code bytes}: 0 when it has no
     * room for one more trigger like those it holds; else the room left at the rate calls of {@code rateCount} COUNT in
     * all returned {@code rateTaken} triggers of {@code rateBytes}, at most {@link #COUNT_GROWTH} times the call
     * before ({@code last}): calls grow while they return little.
     */
    static long nextCount(long last, int taken, long bytes, int limit, long rateCount, int rateTaken, long rateBytes) {
        if (taken >= limit || (taken > 0 && MAX_PAGE_BYTES - bytes < bytes / taken)) {
            return 0;
        }
        long grown = Math.min(MAX_SCAN_COUNT, last * COUNT_GROWTH);
        if (rateTaken == 0) {
            return grown; // no trigger matched yet: no rate to go by
        }
        long byNumber = (limit - taken) * rateCount / rateTaken;
        long byBytes = (MAX_PAGE_BYTES - bytes) * rateCount / rateBytes;
        return Math.max(1, Math.min(grown, Math.min(byNumber, byBytes)));
    }

    @Override
    public Optional<Trigger> cancel(String id) {
        int p = TriggerIds.partitionOf(id, partitioner.partitions());
        List<Object> reply = SingleAttempt.write(() -> CANCEL.eval(redis, once, RScript.ReturnType.LIST,
                List.of(keys.triggers(p), keys.schedule(p), keys.triggersByEvent(p), keys.triggersByCounter(p)), id),
                () -> "trigger " + id + " may or may not have been canceled: Redis did not answer within "
                        + "redis-timeout-ms, and may still run the cancel; canceling it again is safe (a cancel is "
                        + "idempotent) and returns the trigger with its status");
        if ("NOT_FOUND".equals(reply.get(0))) {
            return Optional.empty();
        }
        boolean canceled = "OK".equals(reply.get(0));
        try {
            return get(id);
        } catch (UnreadableTriggerException e) {
            // the script reads only the status, so a trigger with other fields garbled is canceled all the same
            throw e.afterCancel(canceled);
        } catch (RuntimeException e) {
            if (canceled) {
                // Redis failing the read that follows must not read as "nothing was written"
                throw new OutcomeUnknownException("trigger " + id + " was canceled, but reading it back failed; "
                        + "canceling it again is safe (a cancel is idempotent) and returns the trigger", e);
            }
            throw e;
        }
    }

    @Override
    public int partitions() {
        return partitioner.partitions();
    }

    @Override
    public void close() {
        if (ownsClient) {
            redis.shutdown();
        }
    }

    private static String str(Object o) {
        String s = String.valueOf(o);
        return s.isEmpty() ? null : s;
    }
}
