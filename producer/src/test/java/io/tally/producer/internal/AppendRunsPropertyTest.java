package io.tally.producer.internal;

import io.tally.common.internal.resp.RespErrorReply;
import io.tally.common.internal.resp.RespReader;
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

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tally.producer.internal.AppendRunsRedis.errorOf;
import static io.tally.producer.internal.AppendRunsRedis.pack;
import static io.tally.producer.internal.AppendRunsRedis.utf8;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * append_runs.lua called with whatever a buggy or hostile client could send: odd run headers, cut
 * arguments, MessagePack that does not match, dedupe keys too many or too few or of the wrong type,
 * thousands of fields, binary names and values, repeated ids in one call, streams whose top id is at or
 * near the largest id, malformed producer sessions and sequence numbers, and a session the hash does not
 * know, knows at another sequence, holds unreadable state for, or that began too long ago. Either the
 * script answers with an error and every key it could touch is unchanged (DUMP), or its reply is the
 * truth: the entries it reports written are exactly the stream's new entries (fields byte for byte), each
 * written idempotent entry's dedupe key holds its id and payload digest, a duplicate has the same payload
 * as the entry its id names and a conflict another one, the session's field holds where the call ended,
 * and no other key changed but the expired sessions a new session sweeps. The same call sent again in
 * the same session (a retry after a lost reply) writes nothing and answers as the first did.
 */
class AppendRunsPropertyTest {
    private static final String MAX = "18446744073709551615";
    private static final AtomicInteger TRIES = new AtomicInteger();
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

    /** The stream before the call. */
    enum StreamState {
        EMPTY(null), PAST("1000-5"), ABOVE_2_POW_53("99999999999999-9007199254740993"),
        SEQUENCE_NEAR_MAX("99999999999999-18446744073709551613"), NEAR_MAX(MAX + "-18446744073709551613"),
        MAX_ID(MAX + "-" + MAX), NOT_A_STREAM(null);

        final String top;

        StreamState(String top) {
            this.top = top;
        }
    }

    /** The producer session the call is made in, and what the stream's sessions hash holds for it before. */
    enum SessionState {
        /** No session: plain appends. */
        NONE,
        /** Begun now, first call on the stream (sequence 1); the hash holds other sessions to sweep or keep. */
        NEW,
        /** The hash has it at sequence 4; the call starts at 5. */
        CONTINUE,
        /** Not in the hash, and the call starts at 3: refused (NOSESSION). */
        LATE_START,
        /** Began long ago, not in the hash, the call starts at 1: refused (NOSESSION). */
        TOO_OLD,
        /** The hash has it at sequence 4; the call starts at 7: refused (SEQGAP). */
        GAP,
        /** The hash holds junk for it: refused (NOSESSION). */
        UNREADABLE,
        /** The sessions key is a string: an error. */
        NOT_A_HASH;

        boolean refused() {
            return this == LATE_START || this == TOO_OLD || this == GAP || this == UNREADABLE || this == NOT_A_HASH;
        }
    }

    /** What a dedupe key holds before the call. */
    enum KeyState { ABSENT, HASH, NO_DIGEST }

    /** How the call is broken, if at all. */
    enum Breakage { NONE, RUN_SIZE_ZERO, RUN_SIZE_WORD, RUN_SIZE_FRACTION, RUN_SIZE_HEX, NO_FIELDS, TOO_MANY_FIELDS,
        IDEMPOTENCE_FLAG, CUT_SHORT, VALUE_COUNT, NOT_MSGPACK, EXTRA_DEDUPE_KEY, MISSING_DEDUPE_KEY, WINDOW, WINDOW_INFINITE,
        WINDOW_ZERO, SHORT_DIGEST, SESSION_MALFORMED, SESSION_HUGE, SESSION_AHEAD, SEQUENCE_ZERO, SEQUENCE_TOO_LONG,
        SEQUENCE_HUGE, SEQUENCE_WITHOUT_SESSION, TOO_FEW_ARGUMENTS,
        /** Keys of the call that are one key: whatever one write makes of it, a later one must not fail on it. */
        SESSIONS_KEY_IS_STREAM, SESSIONS_KEY_IS_DEDUPE_KEY, DEDUPE_KEY_IS_STREAM, DEDUPE_KEY_IS_SESSIONS_KEY,
        /** The last entry's last field value, in the MessagePack array, is not a string. */
        VALUE_ARRAY, VALUE_MAP, VALUE_INTEGER, VALUE_FLOAT, VALUE_BOOLEAN, VALUE_NIL }

    record Entry(List<byte[]> names, List<byte[]> values, int dedupeKey) {
    }

    record Run(boolean idempotent, List<Entry> entries) {
    }

    record Call(StreamState stream, List<KeyState> keys, List<Run> runs, Breakage breakage, SessionState session) {
        @Override
        public String toString() {
            int fields = runs.stream().mapToInt(r -> r.entries.get(0).names.size()).max().orElse(0);
            return "Call[" + stream + ", keys " + keys + ", " + runs.size() + " runs, widest " + fields + " fields, "
                    + runs.stream().map(r -> (r.idempotent ? "id:" : "") + r.entries.size()).toList() + ", " + breakage
                    + ", session " + session + "]";
        }
    }

    /** The session name and first sequence the call carries, and the stream's sessions hash. */
    record Session(String name, String first, String key) {
    }

    @Property(tries = 250)
    void eitherAnErrorThatChangedNothingOrATruthfulReply(@ForAll("calls") Call call) throws Exception {
        String prefix = "t" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < call.keys.size(); i++) {
            keys.add(prefix + "dedupe:" + i);
        }
        prepare(call, stream, keys);
        Session session = session(call, prefix);
        List<String> touched = new ArrayList<>(keys);
        touched.add(stream);
        touched.add(session.key);
        Map<String, byte[]> before = redis.dumps(touched);
        Map<String, byte[]> everyKeyBefore = redis.snapshot(prefix);
        Map<String, String> sessionsBefore = call.session == SessionState.NOT_A_HASH ? Map.of() : redis.hash(session.key);
        List<byte[]> entriesBefore = call.stream == StreamState.NOT_A_STREAM ? List.of() : entryIds(stream);

        List<Object> args = arguments(call, stream, keys, session);
        Object reply = redis.send(RespReader::object, args.toArray()).exceptionally(AppendRunsRedis::errorOf)
                .get(60, TimeUnit.SECONDS);
        if (reply instanceof RespErrorReply error) {
            Statistics.label("outcome").collect("error");
            assertThat(redis.dumps(touched)).as("an error reply changed nothing").isEqualTo(before);
            assertThat(redis.snapshot(prefix)).as("no key at all changed: %s", error.getMessage()).isEqualTo(everyKeyBefore);
            if (call.breakage == Breakage.NONE && call.session != SessionState.NOT_A_HASH) {
                assertThat(call.session.refused()).as("refused: %s", error.getMessage()).isTrue();
                assertThat(error.getMessage()).startsWith(call.session == SessionState.GAP ? "SEQGAP " : "NOSESSION ");
            }
            return;
        }
        assertThat(call.breakage).as("a broken call must be refused, got %s", reply).isEqualTo(Breakage.NONE);
        assertThat(call.session.refused()).as("a call in session state %s must be refused, got %s", call.session, reply)
                .isFalse();
        List<?> out = (List<?>) reply;

        List<Entry> all = call.runs.stream().flatMap(r -> r.entries.stream()).toList();
        List<Boolean> idempotent = call.runs.stream().flatMap(r -> r.entries.stream().map(e -> r.idempotent)).toList();
        int handled = 0;
        while (handled < out.size() && out.get(handled) instanceof String) {
            handled++;
        }
        assertThat(handled).isLessThanOrEqualTo(all.size());
        Map<Integer, Boolean> marked = new HashMap<>(); // position -> duplicate
        String failure = null;
        for (int i = handled; i < out.size(); i++) {
            long mark = (Long) out.get(i);
            if (mark == 0) {
                failure = (String) out.get(i + 1);
                assertThat(i + 2).isEqualTo(out.size());
                break;
            }
            marked.put((int) Math.abs(mark) - 1, mark > 0);
        }
        assertThat(failure != null).as("a failure exactly when not every entry was handled: %s", out)
                .isEqualTo(handled < all.size());
        if (failure != null) {
            assertThat(failure).containsAnyOf("WRONGTYPE", "largest possible id", "exhausted");
        }
        Statistics.label("outcome").collect(failure == null ? "complete"
                : handled == 0 ? "stopped at the first entry" : "stopped after handling some entries");
        Statistics.label("duplicates, conflicts").collect(marked.containsValue(true), marked.containsValue(false));

        // the stream's new entries are exactly the entries reported written, in order, byte for byte
        List<String> written = new ArrayList<>();
        List<Entry> writtenEntries = new ArrayList<>();
        for (int i = 0; i < handled; i++) {
            if (!marked.containsKey(i)) {
                written.add((String) out.get(i));
                writtenEntries.add(all.get(i));
            }
        }
        if (call.stream == StreamState.NOT_A_STREAM || written.isEmpty()) {
            assertThat(written).isEmpty();
            assertThat(redis.dump(stream)).isEqualTo(before.get(stream));
        } else {
            List<List<byte[]>> range = redis.entries(stream);
            List<List<byte[]>> added = range.subList(entriesBefore.size(), range.size());
            assertThat(added).hasSize(written.size());
            for (int i = 0; i < added.size(); i++) {
                List<byte[]> e = added.get(i);
                assertThat(new String(e.get(0), StandardCharsets.US_ASCII)).isEqualTo(written.get(i));
                assertThat(e.subList(1, e.size())).usingElementComparator(Arrays::compare)
                        .containsExactlyElementsOf(interleave(writtenEntries.get(i)));
            }
        }

        // dedupe keys: set by the entries written, holding the original otherwise
        Set<Integer> setKeys = new HashSet<>();
        for (int i = 0; i < handled; i++) {
            if (!idempotent.get(i)) {
                continue;
            }
            Entry e = all.get(i);
            String key = keys.get(e.dedupeKey);
            String value = string(key);
            String digest = digest(e);
            if (!marked.containsKey(i)) {
                setKeys.add(e.dedupeKey);
                assertThat(value).isEqualTo(out.get(i) + " " + digest);
            } else {
                int space = value.indexOf(' ');
                assertThat(out.get(i)).isEqualTo(space < 0 ? value : value.substring(0, space));
                assertThat(marked.get(i)).as("duplicate exactly when the payload digest matches")
                        .isEqualTo(space >= 0 && value.substring(space + 1).equals(digest));
            }
        }
        for (int k = 0; k < keys.size(); k++) {
            if (!setKeys.contains(k)) {
                assertThat(redis.dump(keys.get(k))).as("untouched dedupe key %d", k).isEqualTo(before.get(keys.get(k)));
            }
        }

        // the session's field holds where the call ended; a new session swept the expired sessions it sampled
        Map<String, String> sessionsAfter = redis.hash(session.key);
        Map<String, String> expected = new HashMap<>(sessionsBefore);
        if (call.session != SessionState.NONE && handled > 0) {
            long first = Long.parseLong(session.first);
            expected.put(session.name, (first + handled - 1) + " " + first + " " + (written.isEmpty() ? "-" : written.get(0)));
            if (call.session == SessionState.NEW) {
                expected.keySet().removeAll(EXPIRED_SESSIONS);
            }
        }
        assertThat(sessionsAfter).isEqualTo(expected);
        if (call.session == SessionState.NONE) {
            return;
        }

        // the same call again, as after a lost reply: nothing written, the same answer
        Map<String, byte[]> afterFirst = redis.dumps(touched);
        List<?> again = (List<?>) redis.send(RespReader::object, args.toArray()).get(60, TimeUnit.SECONDS);
        assertThat(redis.dumps(touched)).as("a repeated call writes nothing").isEqualTo(afterFirst);
        assertThat(again.subList(0, handled)).as("the repeated call's entry ids").isEqualTo(out.subList(0, handled));
        int handledAgain = 0;
        while (handledAgain < again.size() && again.get(handledAgain) instanceof String) {
            handledAgain++;
        }
        assertThat(handledAgain).isEqualTo(handled);
        Map<Integer, Boolean> markedAgain = new HashMap<>();
        boolean failedAgain = false;
        for (int i = handledAgain; i < again.size(); i++) {
            long mark = (Long) again.get(i);
            if (mark == 0) {
                failedAgain = true;
                break;
            }
            markedAgain.put((int) Math.abs(mark) - 1, mark > 0);
        }
        assertThat(markedAgain).as("the repeated call's duplicates and conflicts").isEqualTo(marked);
        assertThat(failedAgain).isEqualTo(failure != null);
        Statistics.label("repeated").collect(handled == 0 ? "nothing handled" : "answered");
    }

    /** Sessions of the sessions hash that a new session's first call sweeps (with junk names). */
    private static final Set<String> EXPIRED_SESSIONS = Set.of("7:1000", "junk");

    @Example
    void aSessionWhoseLastWriteGotAnIdAheadOfRedisTime_isNotSweptAsIdle() throws Exception {
        String prefix = "f" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        String sessions = prefix + "producers:ops";
        long now = redis.nowMs();
        // began two hours ago, last wrote a moment ago at an id a writer pushed two hours ahead
        String busy = "5:" + (now - 7_200_000);
        redis.call(RespReader::object, "HSET", sessions, busy, "12 11 " + (now + 7_200_000) + "-0");
        String session = "6:" + now;
        redis.call(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", session, "1", "1", "2", "0",
                "counter", "by", pack(List.of(utf8("x"), utf8("1"))));
        // swept, its retry would be refused as NOSESSION and resent as new: written twice
        assertThat(redis.hash(sessions)).containsKeys(busy, session);
    }

    @Example
    void aRepeatedCallAnswersTheOriginalIdsAcrossDuplicatesInTheCall_andARetryOfItsTailWritesOnlyWhatIsNew()
            throws Exception {
        String prefix = "r" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        String sessions = prefix + "producers:ops";
        String session = "42:" + redis.nowMs();
        List<byte[]> names = List.of(utf8("counter"), utf8("by"));
        List<byte[]> values = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        for (String counter : List.of("a", "b", "a", "c")) { // the third repeats the first's id: a duplicate
            Entry e = new Entry(names, List.of(utf8(counter), utf8("1")), 0);
            values.addAll(e.values);
            values.add(digest(e).getBytes(StandardCharsets.US_ASCII));
            digests.add(digest(e));
        }
        List<Object> call = new ArrayList<>(List.of("EVALSHA", redis.sha(), "6", stream, sessions, prefix + "k:a", prefix + "k:b",
                prefix + "k:a", prefix + "k:c", "600000", session, "1", "1", "2", "0", "counter", "by", pack(List.of(
                        utf8("x"), utf8("1"))), "4", "2", "1", "counter", "by", pack(values)));
        List<?> first = (List<?>) redis.call(RespReader::object, call.toArray());
        List<?> again = (List<?>) redis.call(RespReader::object, call.toArray());
        assertThat(again).isEqualTo(first);
        assertThat(first).hasSize(6).last().isEqualTo(4L); // the fourth send (position 4) is the duplicate
        assertThat(first.get(3)).isEqualTo(first.get(1));
        assertThat(entryIds(stream)).hasSize(4);
        assertThat(redis.hash(sessions)).containsEntry(session, "5 1 " + first.get(0));

        // a call that starts at the first call's last send (5, "c"): that call started at 1, before this one,
        // so the repeat's id is not known from here (''); the new sends after it are written
        List<Object> tail = new ArrayList<>(List.of("EVALSHA", redis.sha(), "3", stream, sessions, prefix + "k:c", "600000",
                session, "5", "1", "2", "1", "counter", "by", pack(List.of(utf8("c"), utf8("1"), utf8(digests.get(3))))));
        tail.addAll(List.of("2", "2", "0", "counter", "by", pack(List.of(utf8("y"), utf8("1"), utf8("z"), utf8("1")))));
        List<?> next = (List<?>) redis.call(RespReader::object, tail.toArray());
        assertThat(next).hasSize(3);
        assertThat(next.get(0)).isEqualTo("");
        assertThat(entryIds(stream)).hasSize(6);
        assertThat(redis.hash(sessions)).containsEntry(session, "7 6 " + next.get(1));
    }

    @Example
    void aGapOrAnUnknownSessionIsRefusedAndWritesNothing() throws Exception {
        String prefix = "g" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        String sessions = prefix + "producers:ops";
        String session = "43:" + redis.nowMs();
        byte[] one = pack(List.of(utf8("a"), utf8("1")));
        redis.call(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", session, "1", "1", "2", "0",
                "counter", "by", one);
        for (Object[] refused : new Object[][]{
                {session, "3", "SEQGAP producer session " + session + " is at sequence 1 on this stream and this call starts at 3"},
                {"44:" + redis.nowMs(), "2", "NOSESSION producer session 44:"},
                {"45:1000", "1", "NOSESSION producer session 45:1000 began "},
                {"45:" + (redis.nowMs() + 3_600_000), "1", "NOSESSION producer session 45:"}}) {
            Throwable error = redis.send(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", refused[0],
                    refused[1], "1", "2", "0", "counter", "by", one).handle((ok, e) -> e).get(30, TimeUnit.SECONDS);
            assertThat(error).isNotNull();
            assertThat(errorOf(error).toString()).contains((String) refused[2]).contains("this call wrote nothing");
        }
        assertThat(entryIds(stream)).hasSize(1);
        assertThat(redis.hash(sessions)).containsOnlyKeys(session);
    }

    @Example
    void keysOfTheCallThatAreOneKey_areRefusedBeforeAnyWrite() throws Exception {
        for (String overlap : List.of("sessions=stream", "sessions=dedupe", "dedupe=stream", "dedupe=sessions")) {
            String prefix = "o" + TRIES.incrementAndGet() + ":{p0}:";
            String stream = prefix + "ops";
            String sessions = prefix + "producers:ops";
            String dedupe = prefix + "k:a";
            String session = "46:" + redis.nowMs();
            Entry e = new Entry(List.of(utf8("counter"), utf8("by")), List.of(utf8("b"), utf8("1")), 0);
            // a plain entry, written first, then one with an id: the second's key is the one that overlaps
            List<Object> call = List.of("EVALSHA", redis.sha(), "3", stream,
                    overlap.equals("sessions=stream") ? stream : overlap.equals("sessions=dedupe") ? dedupe : sessions,
                    overlap.equals("dedupe=stream") ? stream : overlap.equals("dedupe=sessions") ? sessions : dedupe,
                    "600000", session, "1", "1", "2", "0", "counter", "by", pack(List.of(utf8("a"), utf8("1"))),
                    "1", "2", "1", "counter", "by", pack(List.of(utf8("b"), utf8("1"), utf8(digest(e)))));
            Map<String, byte[]> before = redis.snapshot(prefix);
            Throwable error = redis.send(RespReader::object, call.toArray()).handle((ok, t) -> t).get(30, TimeUnit.SECONDS);
            assertThat(redis.snapshot(prefix)).as(overlap).isEqualTo(before).isEmpty();
            assertThat(error).as(overlap).isNotNull();
            assertThat(errorOf(error).toString()).as(overlap).contains("ERR append_runs: ").contains("must");
        }
    }

    @Example
    void aValueThatIsNotAString_isRefusedBeforeAnyWrite() throws Exception {
        String prefix = "v" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        // the second entry's second value is a MessagePack array: the first entry could be written before it
        List<byte[]> values = List.of(utf8("a"), utf8("1"), utf8("b"), utf8("2"));
        Object reply = redis.send(RespReader::object, "EVALSHA", redis.sha(), "2", stream, prefix + "producers:ops", "600000",
                "", "", "2", "2", "0", "counter", "by", pack(values, 3, new byte[]{(byte) 0x91, (byte) 0xa1, 'x'}))
                .exceptionally(AppendRunsRedis::errorOf).get(30, TimeUnit.SECONDS);
        assertThat(redis.snapshot(prefix)).isEmpty();
        assertThat(reply).isInstanceOf(RespErrorReply.class).asString()
                .contains("value 4 of its MessagePack array is a table, not a string");
    }

    @Example
    void aSessionClaimingToBeginFarAheadOfRedisTime_isRefused_andTheFieldOfOneIsSwept() throws Exception {
        String prefix = "a" + TRIES.incrementAndGet() + ":{p0}:";
        String stream = prefix + "ops";
        String sessions = prefix + "producers:ops";
        long now = redis.nowMs();
        byte[] one = pack(List.of(utf8("a"), utf8("1")));
        String ahead = "47:" + (now + 120_000);
        Throwable error = redis.send(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", ahead, "1",
                "1", "2", "0", "counter", "by", one).handle((ok, t) -> t).get(30, TimeUnit.SECONDS);
        assertThat(errorOf(error).toString()).contains("NOSESSION producer session " + ahead + " claims to begin ")
                .contains("ms ahead of Redis time, more than 60000 ms").contains("this call wrote nothing");
        assertThat(redis.snapshot(prefix)).isEmpty();

        // a little ahead (another master's clock after a failover) is a session like any other
        String near = "48:" + (now + 20_000);
        redis.call(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", near, "1", "1", "2", "0",
                "counter", "by", one);
        // a field of a session far ahead (written before this rule) that is idle goes with the next sweep
        redis.call(RespReader::object, "HSET", sessions, "49:" + (now + 7_200_000), "3 1 -");
        String next = "50:" + now;
        redis.call(RespReader::object, "EVALSHA", redis.sha(), "2", stream, sessions, "600000", next, "1", "1", "2", "0",
                "counter", "by", one);
        assertThat(redis.hash(sessions)).containsOnlyKeys(near, next);
    }

    @Example
    void idsPastTwoToThe53_areSteppedExactly() throws Exception {
        assertThat(appendPlain("99999999999999-9007199254740993", 3)).containsExactly(
                "99999999999999-9007199254740994", "99999999999999-9007199254740995", "99999999999999-9007199254740996");
    }

    @Example
    void aCallsEntriesHaveConsecutiveIds_whichTheRepeatOfARetryIsAnsweredFrom() throws Exception {
        List<Object> reply = appendPlain("1000-5", 1000);
        String first = (String) reply.get(0);
        String ms = first.substring(0, first.indexOf('-'));
        long seq = Long.parseLong(first.substring(first.indexOf('-') + 1));
        for (int i = 0; i < 1000; i++) {
            assertThat(reply.get(i)).isEqualTo(ms + "-" + (seq + i));
        }
        assertThat(reply).hasSize(1000);
    }

    @Example
    void aTopFarAheadWithASmallSequence_isFollowedByItsSuccessors() throws Exception {
        assertThat(appendPlain(MAX + "-5", 3)).containsExactly(MAX + "-6", MAX + "-7", MAX + "-8");
    }

    @Example
    void aSequenceGrowingPastTwelveDigitsWithinACall_staysConsecutive() throws Exception {
        assertThat(appendPlain("99999999999999-999999999998", 3)).containsExactly(
                "99999999999999-999999999999", "99999999999999-1000000000000", "99999999999999-1000000000001");
    }

    @Example
    void aSequenceAtItsMaximum_movesToTheNextMillisecond() throws Exception {
        assertThat(appendPlain("99999999999999-18446744073709551613", 4)).containsExactly(
                "99999999999999-18446744073709551614", "99999999999999-" + MAX, "100000000000000-0", "100000000000000-1");
    }

    @Example
    void theLargestId_stopsTheCallAfterWhatFitAndSaysSo() throws Exception {
        List<Object> reply = appendPlain(MAX + "-18446744073709551613", 4);
        assertThat(reply.subList(0, 4)).containsExactly(MAX + "-18446744073709551614", MAX + "-" + MAX, 0L,
                "the stream's top id is the largest possible id; nothing more can be added");
        assertThat(reply).hasSize(4);
    }

    /** Appends n plain entries to a stream whose top id is {@code top}; returns the script's reply. */
    private static List<Object> appendPlain(String top, int n) throws Exception {
        String stream = "e" + TRIES.incrementAndGet() + ":{p0}:ops";
        redis.call(RespReader::object, "XADD", stream, top, "f", "v");
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            values.add(utf8("c"));
            values.add(utf8(Integer.toString(i)));
        }
        @SuppressWarnings("unchecked")
        List<Object> reply = (List<Object>) redis.call(RespReader::object, "EVALSHA", redis.sha(), "2", stream,
                stream + ":producers", "600000", "", "", Integer.toString(n), "2", "0", "counter", "by", pack(values));
        List<String> ids = entryIds(stream).stream().map(b -> new String(b, StandardCharsets.US_ASCII)).toList();
        assertThat(ids.subList(1, ids.size())).containsExactlyElementsOf(
                reply.stream().takeWhile(String.class::isInstance).map(String.class::cast).toList());
        return reply;
    }

    // --- the call ---

    private static void prepare(Call call, String stream, List<String> keys) throws Exception {
        if (call.stream == StreamState.NOT_A_STREAM) {
            redis.call(RespReader::object, "SET", stream, "not a stream");
        } else if (call.stream.top != null) {
            redis.call(RespReader::object, "XADD", stream, call.stream.top, "f", "v");
        }
        for (int i = 0; i < keys.size(); i++) {
            switch (call.keys.get(i)) {
                case HASH -> redis.call(RespReader::object, "HSET", keys.get(i), "f", "v");
                case NO_DIGEST -> redis.call(RespReader::object, "SET", keys.get(i), "1-1");
                case ABSENT -> { }
            }
        }
    }

    private static Session session(Call call, String prefix) throws Exception {
        String key = prefix + "producers:ops";
        String now = Long.toString(redis.nowMs());
        String name = TRIES.get() + ":" + (call.session == SessionState.TOO_OLD ? "1000" : now);
        String first = switch (call.session) {
            case NONE -> "";
            case NEW, TOO_OLD, NOT_A_HASH -> "1";
            case LATE_START -> "3";
            case CONTINUE, UNREADABLE -> "5";
            case GAP -> "7";
        };
        if (call.session == SessionState.NEW || call.session == SessionState.CONTINUE) {
            // one expired session, one junk name, one that began long ago but wrote just now (kept)
            redis.call(RespReader::object, "HSET", key, "7:1000", "3 1 1000-0", "junk", "x", "9:1000", "5 5 " + now + "-3");
        }
        switch (call.session) {
            case CONTINUE, GAP -> redis.call(RespReader::object, "HSET", key, name, "4 1 1-1");
            case UNREADABLE -> redis.call(RespReader::object, "HSET", key, name, "four");
            case NOT_A_HASH -> redis.call(RespReader::object, "SET", key, "not a hash");
            default -> { }
        }
        if (call.session == SessionState.NONE) {
            name = "";
        }
        switch (call.breakage) {
            case SESSION_MALFORMED -> name = name.isEmpty() ? "abc" : name + "x";
            case SESSION_HUGE -> name = "1".repeat(1_000_000) + ":" + now;
            case SESSION_AHEAD -> {
                // two minutes ahead of Redis time: it would never be old enough to be swept
                name = TRIES.get() + ":" + (Long.parseLong(now) + 120_000);
                first = "1";
            }
            case SEQUENCE_ZERO -> {
                name = name.isEmpty() ? "1:" + now : name;
                first = "0";
            }
            case SEQUENCE_TOO_LONG -> {
                name = name.isEmpty() ? "1:" + now : name;
                first = "1234567890123456";
            }
            case SEQUENCE_HUGE -> {
                name = name.isEmpty() ? "1:" + now : name;
                first = "9".repeat(100_000);
            }
            case SEQUENCE_WITHOUT_SESSION -> {
                name = "";
                first = "5";
            }
            default -> { }
        }
        return new Session(name, first, key);
    }

    private static List<Object> arguments(Call call, String stream, List<String> keys, Session session) throws Exception {
        List<Object> dedupe = new ArrayList<>();
        for (Run run : call.runs) {
            if (run.idempotent) {
                run.entries.forEach(e -> dedupe.add(keys.get(e.dedupeKey)));
            }
        }
        if (call.breakage == Breakage.EXTRA_DEDUPE_KEY) {
            dedupe.add(keys.get(0));
        } else if (call.breakage == Breakage.DEDUPE_KEY_IS_STREAM || call.breakage == Breakage.DEDUPE_KEY_IS_SESSIONS_KEY) {
            String other = call.breakage == Breakage.DEDUPE_KEY_IS_STREAM ? stream : session.key;
            if (dedupe.isEmpty()) {
                dedupe.add(other); // one too many then: as wrong
            } else {
                dedupe.set(dedupe.size() - 1, other); // the last: earlier entries could be written before it
            }
        } else if (call.breakage == Breakage.MISSING_DEDUPE_KEY) {
            if (dedupe.isEmpty()) {
                dedupe.add(keys.get(0)); // one too many then: as wrong
            } else {
                dedupe.remove(dedupe.size() - 1);
            }
        }
        List<Object> argv = new ArrayList<>();
        argv.add(switch (call.breakage) {
            case WINDOW -> "ten minutes";
            case WINDOW_INFINITE -> "1e999"; // a Lua number, but SET PX refuses it after the first XADD
            case WINDOW_ZERO -> "0";
            default -> "600000";
        });
        argv.add(session.name);
        argv.add(session.first);
        if (call.breakage == Breakage.TOO_FEW_ARGUMENTS) {
            argv.remove(argv.size() - 1);
            argv.remove(argv.size() - 1);
        }
        for (int r = 0; r < call.runs.size(); r++) {
            Run run = call.runs.get(r);
            boolean first = r == 0;
            List<byte[]> names = run.entries.get(0).names;
            String n = Integer.toString(run.entries.size());
            String k = Integer.toString(names.size());
            if (first) {
                switch (call.breakage) {
                    case RUN_SIZE_ZERO -> n = "0";
                    case RUN_SIZE_WORD -> n = "some";
                    case RUN_SIZE_FRACTION -> n = "1.5";
                    case RUN_SIZE_HEX -> n = "0x" + Integer.toHexString(run.entries.size());
                    case NO_FIELDS -> k = "0";
                    case TOO_MANY_FIELDS -> k = "3991";
                    default -> { }
                }
            }
            argv.add(n);
            argv.add(k);
            argv.add(first && call.breakage == Breakage.IDEMPOTENCE_FLAG ? "2" : run.idempotent ? "1" : "0");
            argv.addAll(names);
            List<byte[]> values = new ArrayList<>();
            for (Entry e : run.entries) {
                values.addAll(e.values);
                if (run.idempotent) {
                    values.add(digest(e).getBytes(StandardCharsets.US_ASCII));
                }
            }
            if (first && call.breakage == Breakage.SHORT_DIGEST) {
                if (run.idempotent) {
                    int digest = names.size();
                    values.set(digest, Arrays.copyOf(values.get(digest), PayloadDigest.HEX_LENGTH - 1));
                } else {
                    argv.set(argv.size() - names.size() - 1, "1"); // claims dedupe keys, brings no digests
                }
            }
            if (first && call.breakage == Breakage.VALUE_COUNT) {
                values.add(new byte[]{'x'});
            }
            byte[] notAString = r == call.runs.size() - 1 ? notAString(call.breakage) : null;
            // the last entry's last field value, so that every entry before it could be written first
            int last = values.size() - (run.idempotent ? 2 : 1);
            argv.add(first && call.breakage == Breakage.NOT_MSGPACK ? new byte[]{(byte) 0xc1, 1, 2}
                    : notAString != null ? pack(values, last, notAString) : pack(values));
        }
        if (call.breakage == Breakage.CUT_SHORT) {
            argv.remove(argv.size() - 1);
        }
        List<Object> args = new ArrayList<>();
        args.add("EVALSHA");
        args.add(redis.sha());
        args.add(Integer.toString(2 + dedupe.size()));
        args.add(stream);
        args.add(switch (call.breakage) {
            case SESSIONS_KEY_IS_STREAM -> stream;
            case SESSIONS_KEY_IS_DEDUPE_KEY -> dedupe.isEmpty() ? stream : dedupe.get(0);
            default -> session.key;
        });
        args.addAll(dedupe);
        args.addAll(argv);
        return args;
    }

    /** The MessagePack of a value that is not a string, for the breakages that put one where a string goes. */
    private static byte[] notAString(Breakage breakage) {
        return switch (breakage) {
            case VALUE_ARRAY -> new byte[]{(byte) 0x92, (byte) 0xa1, 'a', (byte) 0xa1, 'b'};
            case VALUE_MAP -> new byte[]{(byte) 0x81, (byte) 0xa1, 'a', (byte) 0xa1, 'b'};
            case VALUE_INTEGER -> new byte[]{(byte) 0xcf, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                    (byte) 0xff, (byte) 0xff, (byte) 0xff}; // 2^64 - 1: as a Lua number it would be written rounded
            case VALUE_FLOAT -> new byte[]{(byte) 0xcb, 0x3f, (byte) 0xf8, 0, 0, 0, 0, 0, 0}; // 1.5
            case VALUE_BOOLEAN -> new byte[]{(byte) 0xc3};
            case VALUE_NIL -> new byte[]{(byte) 0xc0};
            default -> null;
        };
    }

    /** The payload digest as docs/wire-format.md defines it, computed independently of PayloadDigest. */
    private static String digest(Entry e) throws Exception {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < e.names.size(); i++) {
            String name = new String(e.names.get(i), StandardCharsets.ISO_8859_1);
            if (!name.equals("id") && !name.equals("ts")) {
                order.add(i);
            }
        }
        order.sort(Comparator.<Integer, byte[]>comparing(e.names::get, Arrays::compareUnsigned).thenComparing(i -> i));
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i : order) {
            byte[] name = e.names.get(i);
            byte[] value = e.values.get(i);
            payload.writeBytes((name.length + ":").getBytes(StandardCharsets.US_ASCII));
            payload.writeBytes(name);
            payload.writeBytes((value.length + ":").getBytes(StandardCharsets.US_ASCII));
            payload.writeBytes(value);
        }
        byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(payload.toByteArray());
        return HexFormat.of().formatHex(sha256, 0, 16);
    }

    private static List<byte[]> interleave(Entry e) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < e.names.size(); i++) {
            out.add(e.names.get(i));
            out.add(e.values.get(i));
        }
        return out;
    }

    // --- Redis, byte for byte ---

    private static String string(String key) throws Exception {
        return (String) redis.call(RespReader::object, "GET", key);
    }

    private static List<byte[]> entryIds(String stream) throws Exception {
        return redis.entries(stream).stream().map(e -> e.get(0)).toList();
    }

    // --- generators ---

    @Provide
    Arbitrary<Call> calls() {
        Arbitrary<List<KeyState>> keys = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(KeyState.ABSENT)),
                Tuple.of(1, Arbitraries.just(KeyState.HASH)), Tuple.of(1, Arbitraries.just(KeyState.NO_DIGEST)))
                .list().ofSize(3);
        Arbitrary<Breakage> breakage = Arbitraries.frequencyOf(Tuple.of(5, Arbitraries.just(Breakage.NONE)),
                Tuple.of(1, Arbitraries.of(Breakage.class)));
        Arbitrary<SessionState> session = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(SessionState.NONE,
                SessionState.NEW, SessionState.CONTINUE)), Tuple.of(1, Arbitraries.of(SessionState.class)));
        return Combinators.combine(Arbitraries.of(StreamState.class), keys, run().list().ofMinSize(1).ofMaxSize(4), breakage,
                session).as(Call::new);
    }

    private Arbitrary<Run> run() {
        Arbitrary<Integer> width = Arbitraries.frequencyOf(Tuple.of(20, Arbitraries.integers().between(1, 7)),
                Tuple.of(2, Arbitraries.integers().between(8, 60)), Tuple.of(1, Arbitraries.just(3990)));
        return Combinators.combine(Arbitraries.of(true, false), width, Arbitraries.integers().between(1, 3))
                .flatAs((idempotent, k, n) -> names(k).flatMap(names -> entry(names).list().ofSize(n)
                        .map(entries -> new Run(idempotent, entries))));
    }

    private Arbitrary<List<byte[]>> names(int k) {
        Arbitrary<byte[]> name = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of("op", "counter", "by", "id", "ts", "type", "p.x", "").map(AppendRunsRedis::utf8)),
                Tuple.of(1, bytes(12)));
        return name.list().ofSize(k);
    }

    private Arbitrary<Entry> entry(List<byte[]> names) {
        Arbitrary<byte[]> value = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of("1", "2", "incr", "c", "-0", "9223372036854775808").map(AppendRunsRedis::utf8)),
                Tuple.of(3, bytes(40)), Tuple.of(1, bytes(70_000)));
        int k = names.size();
        // wide entries get small values, so that a try stays fast
        Arbitrary<byte[]> v = k > 100 ? bytes(3) : value;
        return Combinators.combine(v.list().ofSize(k), Arbitraries.integers().between(0, 2))
                .as((values, key) -> new Entry(names, values, key));
    }

    private static Arbitrary<byte[]> bytes(int max) {
        return Arbitraries.randomValue(random -> {
            byte[] out = new byte[random.nextInt(max + 1)];
            random.nextBytes(out);
            return out;
        });
    }

}
