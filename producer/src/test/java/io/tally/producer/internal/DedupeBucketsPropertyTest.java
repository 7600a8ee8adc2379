package io.tally.producer.internal;

import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespReader;
import io.tally.producer.internal.AppendRunsRedis.ComparableBytesMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tally.producer.internal.AppendRunsRedis.hex;
import static io.tally.producer.internal.AppendRunsRedis.pack;
import static io.tally.producer.internal.AppendRunsRedis.packString;
import static io.tally.producer.internal.AppendRunsRedis.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * append_runs.lua with dedupe fields (run flag 2) called as a buggy or hostile client could: buckets
 * named ahead of or behind Redis time, a previous bucket that is not the one before, a next bucket that
 * is not the one after, one key twice, three, four (the current and previous bucket only) or six keys,
 * bucket keys that are a string, a stream, the stream or the sessions key; dedupe fields empty, too long,
 * at the limit, binary or not strings; a field repeated in the call with the same or another digest, held
 * in the current, the previous or the next bucket (duplicate, conflict, junk: the next one holds ids after
 * Redis's clock stepped back); runs with dedupe keys mixed in; streams that take no entry or only two
 * more. Either an error reply with every key unchanged (DUMP and expiry), or the truth, checked against a
 * model of the call: the new entries are the ones reported written, each one's field in the current bucket
 * holds its entry id and digest, duplicates and conflicts carry the id held and the right sign and write
 * nothing, the current bucket expires within two windows, and no other key changed. Called again in the
 * same session it writes nothing and answers the same.
 */
class DedupeBucketsPropertyTest {
    private static final String MAX = "18446744073709551615";
    private static final AtomicInteger TRIES = new AtomicInteger();
    private static final List<byte[]> DIGESTS = List.of(utf8("0123456789abcdef0123456789abcdef"),
            utf8("fedcba9876543210fedcba9876543210"));
    /** Dedupe fields a call draws from, so that fields repeat within a call and are found in buckets. */
    private static final List<byte[]> FIELDS = List.of(utf8("1:a:x"), utf8("3:bé:42"),
            new byte[]{'4', ':', 0, (byte) 0xff, ':', ' ', ':', ' ', '1'});
    private static AppendRunsRedis redis;

    @BeforeContainer
    static void start() throws Exception {
        redis = AppendRunsRedis.start();
    }

    @AfterContainer
    static void stop() {
        if (redis != null) {
            redis.close();
        }
    }

    enum StreamState { EMPTY, PAST, NEAR_MAX, NOT_A_STREAM }

    /** The keys the call names for its buckets, by Redis time's bucket b. */
    enum Naming {
        RIGHT, AHEAD, BEHIND, PREVIOUS_NOT_B_MINUS_1, NEXT_NOT_B_PLUS_1, SWAPPED, NEXT_SWAPPED_WITH_PREVIOUS,
        OTHER_PREFIX, NEXT_OTHER_PREFIX, LEADING_ZERO, SAME_KEY, NEXT_SAME_AS_PREVIOUS, NEXT_SAME_AS_CURRENT,
        THREE_KEYS, FOUR_KEYS, SIX_KEYS, CURRENT_IS_STREAM, PREVIOUS_IS_SESSIONS, NEXT_IS_STREAM, NEXT_IS_SESSIONS;

        boolean dedupeBucketRefusal() {
            return this == AHEAD || this == BEHIND || this == PREVIOUS_NOT_B_MINUS_1 || this == NEXT_NOT_B_PLUS_1
                    || this == SWAPPED || this == NEXT_SWAPPED_WITH_PREVIOUS || this == OTHER_PREFIX
                    || this == NEXT_OTHER_PREFIX || this == LEADING_ZERO;
        }
    }

    enum BucketState {
        ABSENT, HASH, HASH_NO_EXPIRY, STRING, STREAM;

        boolean wrongType() {
            return this == STRING || this == STREAM;
        }
    }

    /** How the last entry with an id is broken, if at all (MAX_FIELD and BINARY_FIELD are valid). */
    enum Hostile {
        NONE, MAX_FIELD, EMPTY_FIELD, LONG_FIELD, FIELD_INTEGER, FIELD_NIL, FIELD_ARRAY, FIELD_MAP, FIELD_BOOLEAN,
        DIGEST_NIL, SHORT_DIGEST, FIELD_MISSING, MIXED_FLAG_1, FLAG_3;

        boolean valid() {
            return this == NONE || this == MAX_FIELD;
        }
    }

    record Entry(List<byte[]> values, int field, int digest) {
    }

    record Run(boolean idempotent, List<byte[]> names, List<Entry> entries) {
    }

    record Call(long window, StreamState stream, boolean session, Naming naming, BucketState current,
                BucketState previous, BucketState next, List<Integer> currentHeld, List<Integer> previousHeld,
                List<Integer> nextHeld, List<Run> runs, Hostile hostile) {
        @Override
        public String toString() {
            return "Call[window " + window + ", " + stream + ", session " + session + ", " + naming + ", buckets "
                    + current + currentHeld + " " + previous + previousHeld + " " + next + nextHeld + ", runs "
                    + runs.stream().map(r -> (r.idempotent ? "id:" : "") + r.entries.size() + "x" + r.names.size()
                    + r.entries.stream().map(e -> r.idempotent ? "f" + e.field + "d" + e.digest : "-").toList()).toList()
                    + ", " + hostile + "]";
        }
    }

    /** Everything about a call made: its arguments and the keys it names. */
    record Made(List<Object> args, String stream, String sessions, String current, String previous, String next,
                long bucket, String session) {
    }

    @Property(tries = 400)
    void eitherAnErrorThatChangedNothingOrATruthfulReply(@ForAll("calls") Call call) throws Exception {
        String prefix = "b" + TRIES.incrementAndGet() + ":{p0}:";
        Made made = make(call, prefix);
        Map<String, byte[]> before = redis.snapshot(prefix);
        Map<String, Long> expiriesBefore = redis.expiries(before.keySet());
        // fields held before the call, as hex (binary-safe): the current bucket's over the previous one's over
        // the next one's; and which bucket each came from
        Map<String, String> currentBefore = call.current.wrongType() ? Map.of() : hexKeys(redis.hashBytes(made.current));
        Map<String, String> held = new HashMap<>();
        Map<String, String> heldIn = new HashMap<>();
        for (Tuple.Tuple3<String, BucketState, String> bucket : List.of(Tuple.of(made.next, call.next, "next"),
                Tuple.of(made.previous, call.previous, "previous"), Tuple.of(made.current, call.current, "current"))) {
            Map<String, String> fields = bucket.get2().wrongType() ? Map.of() : hexKeys(redis.hashBytes(bucket.get1()));
            held.putAll(fields);
            fields.keySet().forEach(f -> heldIn.put(f, bucket.get3()));
        }
        int entriesBefore = call.stream == StreamState.NOT_A_STREAM ? 0 : redis.entries(made.stream).size();

        Object reply = redis.send(RespReader::object, made.args.toArray()).exceptionally(AppendRunsRedis::errorOf)
                .get(60, TimeUnit.SECONDS);
        if (reply instanceof RespErrorReply error) {
            String message = error.getMessage();
            assertThat(redis.snapshot(prefix)).as("an error changed no key: %s", message).isEqualTo(before);
            assertThat(redis.expiries(before.keySet())).as("nor any expiry: %s", message).isEqualTo(expiriesBefore);
            if (message.startsWith("DEDUPEBUCKET ")) {
                assertThat(message).contains("this call wrote nothing");
                long redisMs = Long.parseLong(message.split(" ")[1]);
                long redisBucket = Math.floorDiv(redisMs, call.window);
                assertThat(message).contains("must end in " + redisBucket + ", " + (redisBucket - 1) + " and "
                        + (redisBucket + 1));
                boolean crossedEdge = redisBucket != made.bucket;
                assertThat(call.naming.dedupeBucketRefusal() || crossedEdge)
                        .as("refused the buckets of Redis time: %s for %s", message, call).isTrue();
                Statistics.label("outcome").collect(crossedEdge ? "DEDUPEBUCKET (bucket ended)" : "DEDUPEBUCKET");
                return;
            }
            assertThat(call.hostile.valid() && call.naming == Naming.RIGHT && !call.current.wrongType()
                    && !call.previous.wrongType() && !call.next.wrongType()).as("refused a sound call: %s", message)
                    .isFalse();
            if (call.hostile.valid() && call.naming.dedupeBucketRefusal()) {
                // the bucket check comes before the buckets are read
                throw new AssertionError("buckets named wrong but refused otherwise: " + message);
            }
            Statistics.label("outcome").collect("error");
            return;
        }
        assertThat(call.hostile.valid()).as("a broken call must be refused: %s", reply).isTrue();
        assertThat(call.naming).as("buckets named wrong must be refused: %s", reply).isEqualTo(Naming.RIGHT);
        assertThat(call.current.wrongType() || call.previous.wrongType() || call.next.wrongType())
                .as("a bucket of the wrong type: %s", reply).isFalse();
        List<?> out = (List<?>) reply;

        // the model: the call's entries in order against the fields held and those it adds
        List<Run> runs = call.runs;
        List<Boolean> idempotent = new ArrayList<>();
        List<Entry> all = new ArrayList<>();
        List<List<byte[]>> names = new ArrayList<>();
        for (Run run : runs) {
            for (Entry e : run.entries) {
                idempotent.add(run.idempotent);
                all.add(e);
                names.add(run.names);
            }
        }
        int room = switch (call.stream) {
            case NEAR_MAX -> 2;
            case NOT_A_STREAM -> 0;
            default -> Integer.MAX_VALUE;
        };
        Map<String, String> claimed = new HashMap<>(); // field (hex) -> value this call wrote
        Map<Integer, Long> expectedMarks = new TreeMap<>(); // position -> signed mark
        List<Integer> written = new ArrayList<>();
        int handled = 0;
        for (int i = 0; i < all.size(); i++) {
            Entry e = all.get(i);
            String field = idempotent.get(i) ? hex(field(call, e)) : null;
            String prior = field == null ? null : claimed.containsKey(field) ? claimed.get(field) : held.get(field);
            if (prior != null) {
                int space = prior.indexOf(' ');
                boolean duplicate = space >= 0 && prior.substring(space + 1).equals(digest(e));
                expectedMarks.put(i, duplicate ? i + 1L : -(i + 1L));
                Statistics.label("held in").collect(claimed.containsKey(field) ? "this call" : heldIn.get(field),
                        duplicate ? "duplicate" : "conflict");
                assertThat(out.get(i)).as("entry %d answered with the id held", i)
                        .isEqualTo(space < 0 ? prior : prior.substring(0, space));
                handled++;
                continue;
            }
            if (written.size() == room) {
                break;
            }
            assertThat(out.get(i)).as("entry %d written", i).isInstanceOf(String.class);
            written.add(i);
            if (field != null) {
                claimed.put(field, out.get(i) + " " + digest(e));
            }
            handled++;
        }
        for (int i = 0; i < handled; i++) {
            assertThat(out.get(i)).isInstanceOf(String.class);
        }
        List<Object> tail = new ArrayList<>(out.subList(handled, out.size()));
        List<Object> marks = new ArrayList<>(expectedMarks.values());
        if (handled < all.size()) {
            assertThat(tail).as("the marks, then 0 and why the call stopped").hasSize(marks.size() + 2);
            assertThat(tail.subList(0, marks.size())).isEqualTo(marks);
            assertThat(tail.get(marks.size())).isEqualTo(0L);
            assertThat((String) tail.get(marks.size() + 1)).containsAnyOf("WRONGTYPE", "largest possible id");
        } else {
            assertThat(tail).as("the marks").isEqualTo(marks);
        }
        Statistics.label("outcome").collect(handled < all.size() ? "stopped" : "complete");
        Statistics.label("duplicates, conflicts").collect(expectedMarks.values().stream().anyMatch(m -> m > 0),
                expectedMarks.values().stream().anyMatch(m -> m < 0));

        // the stream's new entries: exactly those reported written, byte for byte
        if (call.stream != StreamState.NOT_A_STREAM) {
            List<List<byte[]>> now = redis.entries(made.stream);
            List<List<byte[]>> added = now.subList(entriesBefore, now.size());
            assertThat(added).hasSize(written.size());
            for (int w = 0; w < written.size(); w++) {
                int i = written.get(w);
                assertThat(new String(added.get(w).get(0), StandardCharsets.US_ASCII)).isEqualTo(out.get(i));
                List<byte[]> fields = new ArrayList<>();
                for (int f = 0; f < names.get(i).size(); f++) {
                    fields.add(names.get(i).get(f));
                    fields.add(all.get(i).values.get(f));
                }
                assertThat(added.get(w).subList(1, added.get(w).size())).usingElementComparator(Arrays::compare)
                        .containsExactlyElementsOf(fields);
            }
        }

        // the current bucket gained exactly the fields of the entries written, and expires within two windows
        Map<String, String> expectedCurrent = new HashMap<>(currentBefore);
        expectedCurrent.putAll(claimed);
        Map<String, byte[]> after = redis.snapshot(prefix);
        if (claimed.isEmpty()) {
            assertThat(after.get(made.current)).as("no field added").isEqualTo(before.get(made.current));
            assertThat(redis.expiry(made.current)).isEqualTo(expiriesBefore.getOrDefault(made.current, -2L));
        } else {
            assertThat(hexKeys(redis.hashBytes(made.current))).isEqualTo(expectedCurrent);
            long pttl = redis.callLong("PTTL", made.current);
            assertThat(pttl).isGreaterThan(0).isLessThanOrEqualTo(2 * call.window);
            assertThat(redis.expiry(made.current)).isEqualTo((made.bucket + 2) * call.window);
        }
        // no other key changed but the stream and the session's field
        Map<String, byte[]> others = new TreeMap<>(after);
        Map<String, byte[]> othersBefore = new TreeMap<>(before);
        for (String changed : List.of(made.stream, made.sessions, made.current)) {
            others.remove(changed);
            othersBefore.remove(changed);
        }
        assertThat(new ComparableBytesMap(others)).isEqualTo(new ComparableBytesMap(othersBefore));
        if (made.session.isEmpty() || handled == 0) {
            assertThat(after.get(made.sessions)).isEqualTo(before.get(made.sessions));
            return;
        }
        assertThat(redis.hash(made.sessions)).containsExactly(Map.entry(made.session,
                handled + " 1 " + (written.isEmpty() ? "-" : out.get(written.get(0)))));

        // the same call again, as after a lost reply: nothing written, the same answer
        Map<String, byte[]> afterFirst = redis.snapshot(prefix);
        Object again = redis.send(RespReader::object, made.args.toArray()).exceptionally(AppendRunsRedis::errorOf)
                .get(60, TimeUnit.SECONDS);
        if (again instanceof RespErrorReply error && error.getMessage().startsWith("DEDUPEBUCKET ")
                && Math.floorDiv(Long.parseLong(error.getMessage().split(" ")[1]), call.window) != made.bucket) {
            return; // the bucket ended between the calls
        }
        assertThat(redis.snapshot(prefix)).as("a repeated call writes nothing").isEqualTo(afterFirst);
        // (the reason a call stopped may read differently: the repeat adds its first entry with XADD '*')
        List<?> answer = (List<?>) again;
        int answered = handled < all.size() ? out.size() - 1 : out.size();
        assertThat(answer).as("the repeated call's answer").hasSameSizeAs(out);
        assertThat(answer.subList(0, answered)).as("the repeated call's answer").isEqualTo(out.subList(0, answered));
        Statistics.label("repeated").collect("answered");
    }

    // --- examples ---

    @Example
    void bucketsOtherThanRedisTimes_areRefusedWithRedisTime_andNothingIsWritten() throws Exception {
        for (long shift : new long[]{1, -1}) {
            String prefix = "x" + TRIES.incrementAndGet() + ":{p0}:";
            String buckets = prefix + "dedupe-ids:ops:600000:";
            long bucket = Math.floorDiv(redis.nowMs(), 600_000) + shift;
            redis.call(RespReader::object, "HSET", buckets + bucket, "1:a:x", "1-1 " + new String(DIGESTS.get(0)));
            redis.call(RespReader::object, "HSET", buckets + (bucket - 1), "1:a:y", "1-2 " + new String(DIGESTS.get(0)));
            Map<String, byte[]> before = redis.snapshot(prefix);
            long sentAt = redis.nowMs();
            Object reply = redis.send(RespReader::object, "EVALSHA", redis.sha(), "5", prefix + "ops", prefix + "producers:ops",
                    buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "600000", "7:" + sentAt, "1", "1", "2",
                    "2", "counter", "by",
                    pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:z"))))
                    .exceptionally(AppendRunsRedis::errorOf).get(30, TimeUnit.SECONDS);
            assertThat(reply).isInstanceOf(RespErrorReply.class);
            String message = ((RespErrorReply) reply).getMessage();
            assertThat(message).startsWith("DEDUPEBUCKET ").contains("this call wrote nothing");
            long redisMs = Long.parseLong(message.split(" ")[1]);
            assertThat(redisMs).isBetween(sentAt, redis.nowMs());
            assertThat(redis.snapshot(prefix)).isEqualTo(before).containsOnlyKeys(buckets + bucket, buckets + (bucket - 1));
        }
    }

    @Example
    void anIdInThePreviousBucket_isADuplicate_andAnotherDigestAConflict_andNothingIsWrittenForThem() throws Exception {
        String prefix = "y" + TRIES.incrementAndGet() + ":{p0}:";
        String buckets = prefix + "dedupe-ids:ops:600000:";
        String stream = prefix + "ops";
        long bucket = Math.floorDiv(redis.nowMs(), 600_000);
        String d0 = new String(DIGESTS.get(0)), d1 = new String(DIGESTS.get(1));
        redis.call(RespReader::object, "HSET", buckets + (bucket - 1), "1:a:x", "5-1 " + d0, "1:a:y", "5-2 " + d0);
        Map<String, byte[]> previousBefore = redis.snapshot(buckets + (bucket - 1));
        List<?> reply = (List<?>) redis.call(RespReader::object, "EVALSHA", redis.sha(), "5", stream, prefix + "producers:ops",
                buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "600000", "", "", "3", "2", "2", "counter", "by",
                pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"), // same digest: duplicate
                        utf8("a"), utf8("2"), DIGESTS.get(1), utf8("1:a:y"),     // another: conflict
                        utf8("a"), utf8("3"), DIGESTS.get(1), utf8("1:a:z"))));  // new
        assertThat(reply).hasSize(5);
        assertThat(reply.subList(0, 2)).isEqualTo(List.of("5-1", "5-2"));
        assertThat(reply.subList(3, 5)).isEqualTo(List.of(1L, -2L));
        List<List<byte[]>> entries = redis.entries(stream);
        assertThat(entries).hasSize(1);
        assertThat(new String(entries.get(0).get(0))).isEqualTo(reply.get(2));
        assertThat(redis.hash(buckets + bucket)).containsExactly(Map.entry("1:a:z", reply.get(2) + " " + d1));
        assertThat(redis.callLong("PTTL", buckets + bucket)).isBetween(1L, 1_200_000L);
        assertThat(redis.snapshot(buckets + (bucket - 1))).isEqualTo(previousBefore);
    }

    /**
     * After Redis's clock stepped back across a bucket's start, ids written just before the step are in the
     * bucket after Redis's current one. No call can write there at Redis's present time (it would be refused,
     * DEDUPEBUCKET), so HSET puts the script's own value, '<entry id> <digest>', there.
     */
    @Example
    void anIdInTheNextBucket_isADuplicate_andAnotherDigestAConflict_andNothingIsWrittenForThem() throws Exception {
        String prefix = "s" + TRIES.incrementAndGet() + ":{p0}:";
        String buckets = prefix + "dedupe-ids:ops:600000:";
        String stream = prefix + "ops";
        long bucket = Math.floorDiv(redis.nowMs(), 600_000);
        String d0 = new String(DIGESTS.get(0)), d1 = new String(DIGESTS.get(1));
        redis.call(RespReader::object, "HSET", buckets + (bucket + 1), "1:a:x", "5-1 " + d0, "1:a:y", "5-2 " + d0);
        Map<String, byte[]> nextBefore = redis.snapshot(buckets + (bucket + 1));
        List<?> reply = (List<?>) redis.call(RespReader::object, "EVALSHA", redis.sha(), "5", stream, prefix + "producers:ops",
                buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "600000", "", "", "3", "2", "2", "counter", "by",
                pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"), // same digest: duplicate
                        utf8("a"), utf8("2"), DIGESTS.get(1), utf8("1:a:y"),     // another: conflict
                        utf8("a"), utf8("3"), DIGESTS.get(1), utf8("1:a:z"))));  // new
        assertThat(reply).hasSize(5);
        assertThat(reply.subList(0, 2)).isEqualTo(List.of("5-1", "5-2"));
        assertThat(reply.subList(3, 5)).isEqualTo(List.of(1L, -2L));
        List<List<byte[]>> entries = redis.entries(stream);
        assertThat(entries).hasSize(1);
        assertThat(new String(entries.get(0).get(0))).isEqualTo(reply.get(2));
        assertThat(redis.hash(buckets + bucket)).containsExactly(Map.entry("1:a:z", reply.get(2) + " " + d1));
        assertThat(redis.snapshot(buckets + (bucket + 1))).isEqualTo(nextBefore);
    }

    @Example
    void aFieldRepeatedInTheCall_isADuplicateOfTheEntryWrittenForIt_orAConflict() throws Exception {
        String prefix = "z" + TRIES.incrementAndGet() + ":{p0}:";
        String buckets = prefix + "dedupe-ids:ops:600000:";
        long bucket = Math.floorDiv(redis.nowMs(), 600_000);
        List<?> reply = (List<?>) redis.call(RespReader::object, "EVALSHA", redis.sha(), "5", prefix + "ops",
                prefix + "producers:ops", buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "600000", "", "", "3",
                "2", "2", "counter",
                "by", pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"),
                        utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"),
                        utf8("a"), utf8("2"), DIGESTS.get(1), utf8("1:a:x"))));
        assertThat(reply).hasSize(5);
        assertThat(reply.get(1)).isEqualTo(reply.get(0));
        assertThat(reply.get(2)).isEqualTo(reply.get(0));
        assertThat(reply.subList(3, 5)).isEqualTo(List.of(2L, -3L));
        assertThat(redis.entries(prefix + "ops")).hasSize(1);
        assertThat(redis.hash(buckets + bucket))
                .containsExactly(Map.entry("1:a:x", reply.get(0) + " " + new String(DIGESTS.get(0))));
    }

    @Example
    void aBucketKeyOfTheWrongType_isAnErrorThatWritesNothing() throws Exception {
        for (String which : List.of("current string", "current stream", "previous string", "previous stream",
                "next string", "next stream")) {
            String prefix = "w" + TRIES.incrementAndGet() + ":{p0}:";
            String buckets = prefix + "dedupe-ids:ops:600000:";
            long bucket = Math.floorDiv(redis.nowMs(), 600_000);
            String key = buckets + (which.startsWith("current") ? bucket : which.startsWith("next") ? bucket + 1 : bucket - 1);
            if (which.endsWith("string")) {
                redis.call(RespReader::object, "SET", key, "1-1 " + new String(DIGESTS.get(0)));
            } else {
                redis.call(RespReader::object, "XADD", key, "1-1", "f", "v");
            }
            redis.call(RespReader::object, "XADD", prefix + "ops", "1-1", "f", "v");
            Map<String, byte[]> before = redis.snapshot(prefix);
            // a plain entry first: it could be written before the bucket is touched
            Object reply = redis.send(RespReader::object, "EVALSHA", redis.sha(), "5", prefix + "ops", prefix + "producers:ops",
                    buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "600000", "8:" + redis.nowMs(), "1",
                    "1", "2", "0", "counter", "by", pack(List.of(utf8("p"), utf8("1"))),
                    "1", "2", "2", "counter", "by", pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"))))
                    .exceptionally(AppendRunsRedis::errorOf).get(30, TimeUnit.SECONDS);
            assertThat(reply).as(which).isInstanceOf(RespErrorReply.class).asString().contains("WRONGTYPE");
            assertThat(redis.snapshot(prefix)).as(which).isEqualTo(before);
        }
    }

    @Example
    void aRetryInTheNextBucket_findsWhatTheCallWroteInThePreviousOne_andWritesNothing() throws Exception {
        String prefix = "n" + TRIES.incrementAndGet() + ":{p0}:";
        String buckets = prefix + "dedupe-ids:ops:1000:";
        String session = "9:" + redis.nowMs();
        byte[] values = pack(List.of(utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"),
                utf8("a"), utf8("1"), DIGESTS.get(0), utf8("1:a:x"), utf8("b"), utf8("2"), DIGESTS.get(1), utf8("1:b:y")));
        List<Object> first = null;
        long bucket = 0;
        while (first == null) { // named by Redis time; a bucket may end before the call
            bucket = Math.floorDiv(redis.nowMs(), 1000);
            Object reply = redis.send(RespReader::object, "EVALSHA", redis.sha(), "5", prefix + "ops", prefix + "producers:ops",
                    buckets + bucket, buckets + (bucket - 1), buckets + (bucket + 1), "1000", session, "1", "3", "2", "2",
                    "counter", "by", values)
                    .exceptionally(AppendRunsRedis::errorOf).get(30, TimeUnit.SECONDS);
            first = reply instanceof List<?> list ? new ArrayList<>(list) : null;
        }
        assertThat(first.subList(3, 4)).isEqualTo(List.of(2L));
        while (Math.floorDiv(redis.nowMs(), 1000) == bucket) {
            Thread.sleep(20);
        }
        long next = bucket + 1;
        Map<String, byte[]> before = redis.snapshot(prefix);
        Object again = redis.send(RespReader::object, "EVALSHA", redis.sha(), "5", prefix + "ops", prefix + "producers:ops",
                buckets + next, buckets + (next - 1), buckets + (next + 1), "1000", session, "1", "3", "2", "2", "counter", "by",
                values)
                .exceptionally(AppendRunsRedis::errorOf).get(30, TimeUnit.SECONDS);
        if (again instanceof RespErrorReply error) {
            assertThat(error.getMessage()).startsWith("DEDUPEBUCKET "); // a second bucket ended: too slow a host
            return;
        }
        assertThat(again).isEqualTo(first);
        assertThat(redis.snapshot(prefix)).isEqualTo(before);
        assertThat(redis.entries(prefix + "ops")).hasSize(2);
    }

    // --- the call ---

    private static byte[] field(Call call, Entry e) {
        return e.field >= 0 ? FIELDS.get(e.field) : maxField();
    }

    private static byte[] maxField() {
        byte[] field = new byte[512];
        Arrays.fill(field, (byte) 'm');
        return field;
    }

    private static String digest(Entry e) {
        return new String(DIGESTS.get(e.digest), StandardCharsets.US_ASCII);
    }

    private static Made make(Call call, String prefix) throws Exception {
        String stream = prefix + "ops";
        String sessions = prefix + "producers:ops";
        String buckets = prefix + "dedupe-ids:ops:" + call.window + ":";
        long now = redis.nowMs();
        long bucket = Math.floorDiv(now, call.window);
        switch (call.stream) {
            case PAST -> redis.call(RespReader::object, "XADD", stream, "1000-5", "f", "v");
            case NEAR_MAX -> redis.call(RespReader::object, "XADD", stream, MAX + "-18446744073709551613", "f", "v");
            case NOT_A_STREAM -> redis.call(RespReader::object, "SET", stream, "not a stream");
            case EMPTY -> { }
        }
        String current = buckets + bucket;
        String previous = buckets + (bucket - 1);
        String next = buckets + (bucket + 1);
        prepareBucket(current, call.current, call.currentHeld, "8", bucket, call.window);
        prepareBucket(previous, call.previous, call.previousHeld, "6", bucket, call.window);
        prepareBucket(next, call.next, call.nextHeld, "9", bucket, call.window);
        String otherPrefix = prefix + "dedupe-ids:events:" + call.window + ":";
        List<Object> keys = new ArrayList<>(switch (call.naming) {
            case RIGHT -> List.of(current, previous, next);
            case AHEAD -> List.of(next, current, buckets + (bucket + 2));
            case BEHIND -> List.of(previous, buckets + (bucket - 2), current);
            case PREVIOUS_NOT_B_MINUS_1 -> List.of(current, buckets + (bucket - 2), next);
            case NEXT_NOT_B_PLUS_1 -> List.of(current, previous, buckets + (bucket + 2));
            case SWAPPED -> List.of(previous, current, next);
            case NEXT_SWAPPED_WITH_PREVIOUS -> List.of(current, next, previous);
            case OTHER_PREFIX -> List.of(current, otherPrefix + (bucket - 1), next);
            case NEXT_OTHER_PREFIX -> List.of(current, previous, otherPrefix + (bucket + 1));
            case LEADING_ZERO -> List.of(buckets + "0" + bucket, buckets + "0" + (bucket - 1), buckets + "0" + (bucket + 1));
            case SAME_KEY -> List.of(current, current, next);
            case NEXT_SAME_AS_PREVIOUS -> List.of(current, previous, previous);
            case NEXT_SAME_AS_CURRENT -> List.of(current, previous, current);
            case THREE_KEYS -> List.of(current);
            case FOUR_KEYS -> List.of(current, previous);
            case SIX_KEYS -> List.of(current, previous, next, prefix + "dedupe:1:a:x");
            case CURRENT_IS_STREAM -> List.of(stream, previous, next);
            case PREVIOUS_IS_SESSIONS -> List.of(current, sessions, next);
            case NEXT_IS_STREAM -> List.of(current, previous, stream);
            case NEXT_IS_SESSIONS -> List.of(current, previous, sessions);
        });
        String session = call.session ? TRIES.get() + ":" + now : "";
        List<Object> argv = new ArrayList<>(List.of(Long.toString(call.window), session, call.session ? "1" : ""));
        int lastIdempotentRun = -1;
        for (int r = 0; r < call.runs.size(); r++) {
            if (call.runs.get(r).idempotent) {
                lastIdempotentRun = r;
            }
        }
        for (int r = 0; r < call.runs.size(); r++) {
            Run run = call.runs.get(r);
            int k = run.names.size();
            argv.add(Integer.toString(run.entries.size()));
            argv.add(Integer.toString(k));
            argv.add(!run.idempotent ? "0" : r == lastIdempotentRun && call.hostile == Hostile.FLAG_3 ? "3" : "2");
            argv.addAll(run.names);
            List<byte[]> values = new ArrayList<>();
            for (Entry e : run.entries) {
                values.addAll(e.values);
                if (run.idempotent) {
                    values.add(DIGESTS.get(e.digest));
                    values.add(field(call, e));
                }
            }
            byte[] packed = pack(values);
            if (r == lastIdempotentRun) {
                // the last entry's digest and field: every entry before could be written first
                int digestAt = values.size() - 2;
                int fieldAt = values.size() - 1;
                packed = switch (call.hostile) {
                    case EMPTY_FIELD -> pack(values, fieldAt, packString(new byte[0]));
                    case LONG_FIELD -> pack(values, fieldAt, packString(Arrays.copyOf(maxField(), 513)));
                    case FIELD_INTEGER -> pack(values, fieldAt, new byte[]{(byte) 0xcd, 0x01, 0x02});
                    case FIELD_NIL -> pack(values, fieldAt, new byte[]{(byte) 0xc0});
                    case FIELD_ARRAY -> pack(values, fieldAt, new byte[]{(byte) 0x91, (byte) 0xa1, 'x'});
                    case FIELD_MAP -> pack(values, fieldAt, new byte[]{(byte) 0x81, (byte) 0xa1, 'a', (byte) 0xa1, 'b'});
                    case FIELD_BOOLEAN -> pack(values, fieldAt, new byte[]{(byte) 0xc3});
                    case DIGEST_NIL -> pack(values, digestAt, new byte[]{(byte) 0xc0});
                    case SHORT_DIGEST -> pack(values, digestAt, packString(Arrays.copyOf(DIGESTS.get(0), 31)));
                    case FIELD_MISSING -> pack(values.subList(0, fieldAt));
                    default -> packed;
                };
            }
            argv.add(packed);
        }
        if (call.hostile == Hostile.MIXED_FLAG_1) {
            // a run with a dedupe key, its key after the buckets
            argv.addAll(List.of("1", "2", "1", "counter", "by", pack(List.of(utf8("m"), utf8("1"), DIGESTS.get(0)))));
            keys.add(prefix + "dedupe:1:m:1");
        }
        List<Object> args = new ArrayList<>(List.of("EVALSHA", redis.sha(), Integer.toString(2 + keys.size()), stream, sessions));
        args.addAll(keys);
        args.addAll(argv);
        return new Made(args, stream, sessions, current, previous, next, bucket, session);
    }

    /** A bucket before the call: its fields from FIELDS by {@code held} (0 none, 1 and 2 a digest, 3 junk). */
    private static void prepareBucket(String key, BucketState state, List<Integer> held, String ms, long bucket,
                                      long window) throws Exception {
        switch (state) {
            case ABSENT -> { }
            case STRING -> redis.call(RespReader::object, "SET", key, "1-1 " + new String(DIGESTS.get(0)));
            case STREAM -> redis.call(RespReader::object, "XADD", key, "1-1", "f", "v");
            case HASH, HASH_NO_EXPIRY -> {
                List<Object> hset = new ArrayList<>(List.of("HSET", key, "unrelated", "1-1 x"));
                for (int f = 0; f < FIELDS.size(); f++) {
                    int h = held.get(f);
                    if (h == 1 || h == 2) {
                        hset.add(FIELDS.get(f));
                        hset.add(concat(utf8(ms + "-" + f + " "), DIGESTS.get(h - 1)));
                    } else if (h == 3) {
                        hset.add(FIELDS.get(f));
                        hset.add("junk");
                    }
                }
                redis.call(RespReader::object, hset.toArray());
                if (state == BucketState.HASH) {
                    redis.call(RespReader::object, "PEXPIREAT", key, Long.toString((bucket + 5) * window));
                }
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Field (as hex, binary-safe) to value (ISO-8859-1 text). */
    private static Map<String, String> hexKeys(Map<byte[], byte[]> hash) {
        Map<String, String> out = new HashMap<>();
        hash.forEach((f, v) -> out.put(hex(f), new String(v, StandardCharsets.ISO_8859_1)));
        return out;
    }

    // --- generators ---

    @Provide
    Arbitrary<Call> calls() {
        Arbitrary<Long> window = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(600_000L)),
                Tuple.of(2, Arbitraries.just(1_000L)), Tuple.of(1, Arbitraries.just(999_999_999_999_999L)));
        Arbitrary<Naming> naming = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(Naming.RIGHT)),
                Tuple.of(1, Arbitraries.of(Naming.class)));
        Arbitrary<BucketState> bucket = Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.of(BucketState.ABSENT,
                BucketState.HASH, BucketState.HASH_NO_EXPIRY)), Tuple.of(1, Arbitraries.of(BucketState.STRING,
                BucketState.STREAM)));
        Arbitrary<List<Integer>> held = Arbitraries.integers().between(0, 3).list().ofSize(FIELDS.size());
        Arbitrary<Hostile> hostile = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(Hostile.NONE)),
                Tuple.of(1, Arbitraries.of(Hostile.class)));
        Arbitrary<StreamState> stream = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of(StreamState.EMPTY,
                StreamState.PAST)), Tuple.of(1, Arbitraries.of(StreamState.NEAR_MAX, StreamState.NOT_A_STREAM)));
        Arbitrary<List<Run>> runs = run().list().ofMinSize(1).ofMaxSize(4).map(list -> {
            if (list.stream().noneMatch(Run::idempotent)) {
                List<Run> out = new ArrayList<>(list);
                out.set(0, new Run(true, list.get(0).names, list.get(0).entries));
                return out;
            }
            return list;
        });
        Arbitrary<Tuple.Tuple4<Long, StreamState, Boolean, Naming>> how = Combinators.combine(window, stream,
                Arbitraries.of(true, false), naming).as(Tuple::of);
        Arbitrary<Tuple.Tuple6<BucketState, BucketState, BucketState, List<Integer>, List<Integer>, List<Integer>>> buckets =
                Combinators.combine(bucket, bucket, bucket, held, held, held).as(Tuple::of);
        return Combinators.combine(how, buckets, runs, hostile).as((h, b, r, x) -> withHostileField(h.get1(), h.get2(),
                h.get3(), h.get4(), b.get1(), b.get2(), b.get3(), b.get4(), b.get5(), b.get6(), r, x));
    }

    /** MAX_FIELD: the last entry with an id gets a field of 512 bytes (field index -1). */
    private static Call withHostileField(long window, StreamState stream, boolean session, Naming naming,
                                         BucketState current, BucketState previous, BucketState next,
                                         List<Integer> currentHeld, List<Integer> previousHeld, List<Integer> nextHeld,
                                         List<Run> runs, Hostile hostile) {
        if (hostile == Hostile.MAX_FIELD) {
            runs = new ArrayList<>(runs);
            for (int r = runs.size() - 1; r >= 0; r--) {
                Run run = runs.get(r);
                if (run.idempotent) {
                    List<Entry> entries = new ArrayList<>(run.entries);
                    Entry last = entries.get(entries.size() - 1);
                    entries.set(entries.size() - 1, new Entry(last.values, -1, last.digest));
                    runs.set(r, new Run(true, run.names, entries));
                    break;
                }
            }
        }
        return new Call(window, stream, session, naming, current, previous, next, currentHeld, previousHeld, nextHeld,
                runs, hostile);
    }

    private Arbitrary<Run> run() {
        Arbitrary<byte[]> name = Arbitraries.of("counter", "by", "op", "id", "ts", "", "p.x").map(AppendRunsRedis::utf8);
        Arbitrary<byte[]> value = Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.of("1", "a", "", "-0")
                .map(AppendRunsRedis::utf8)), Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(40)));
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.integers().between(1, 6),
                        Arbitraries.integers().between(1, 4))
                .flatAs((idempotent, k, n) -> name.list().ofSize(k).flatMap(names -> Combinators.combine(
                                value.list().ofSize(k), Arbitraries.integers().between(0, FIELDS.size() - 1),
                                Arbitraries.integers().between(0, 1)).as(Entry::new).list().ofSize(n)
                        .map(entries -> new Run(idempotent, names, entries))));
    }
}
