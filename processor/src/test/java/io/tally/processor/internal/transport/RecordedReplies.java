package io.tally.processor.internal.transport;

import io.tally.common.internal.keys.Partitioner;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyBytes;

import java.util.Arrays;
import java.util.List;

/**
 * Reply bytes exactly as a real redis-server sends them, recorded once per test JVM (the server stops
 * right after): the XREADGROUP and script replies the hot path parses, and the plain replies of every
 * other kind. Shared by JUnit tests and jqwik properties, which have lifecycles of their own.
 */
final class RecordedReplies {
    static final int PARTITIONS = 2;
    static final String OPS = "ops";
    static final String EVENTS = "events";
    /** Two counters of partition {@link #PARTITION}. */
    static final int PARTITION;
    static final String C;
    static final String D;
    /** A 5 MB value of printable ASCII that changes at every byte (period 89), so a misplaced range cannot match it. */
    static final byte[] LARGE = new byte[5 << 20];

    /** XREADGROUP with nothing new: a null array. */
    static final byte[] READ_NOTHING;
    /** XREADGROUP of new entries on both streams. */
    static final byte[] READ_BOTH;
    /** XREADGROUP of the pending lists after an XDEL and an XACK: a deleted entry (nil fields), an empty stream. */
    static final byte[] READ_HISTORY;
    /** XREADGROUP of an ops entry with a 5 MB field. */
    static final byte[] READ_LARGE;
    /** XREADGROUP of a group that does not exist: an error reply. */
    static final byte[] READ_NOGROUP;

    /** EVALSHA of a script returning nested arrays of every kind of value. */
    static final byte[] SCRIPT_NESTED;
    /** EVALSHA of a script returning nested arrays with errors inside. */
    static final byte[] SCRIPT_ERRORS;
    /** EVALSHA of a script Redis does not have. */
    static final byte[] SCRIPT_NOSCRIPT;
    /** EVALSHA of a script returning a single negative number. */
    static final byte[] SCRIPT_NUMBER;
    /** The four script calls in one pipeline: their replies back to back. */
    static final byte[] SCRIPT_PIPELINE;

    static final byte[] GET_LARGE;
    static final byte[] GET_MISSING;
    static final byte[] GET_EMPTY;
    static final byte[] INCR_NEGATIVE;
    static final byte[] INCR_MAX;

    static {
        for (int i = 0; i < LARGE.length; i++) {
            LARGE[i] = (byte) ('!' + i % 89);
        }
        Partitioner partitioner = new Partitioner(PARTITIONS);
        PARTITION = partitioner.partitionOf("c");
        C = "c";
        D = nameIn(partitioner, PARTITION, "d");
        RedisServer.requireAvailable();
        try (RedisServer server = RedisServer.start(); RawRedis redis = new RawRedis(server.url())) {
            String url = server.url();
            List<Object> readNew = List.of("XREADGROUP", "GROUP", "g", "reader", "COUNT", "100", "STREAMS", OPS, EVENTS, ">", ">");
            redis.call("XGROUP", "CREATE", OPS, "g", "$", "MKSTREAM");
            redis.call("XGROUP", "CREATE", EVENTS, "g", "$", "MKSTREAM");
            READ_NOTHING = ReplyBytes.of(url, readNew.toArray());

            redis.call("XADD", OPS, "5-1", "op", "incr", "counter", C, "by", "3", "windows", "1m", "ts", "1");
            redis.call("XADD", OPS, "5-2", "op", "set", "counter", D, "value", "-7");
            redis.call("XADD", EVENTS, "5-3", "type", "signup", "user", "u\u00fc1");
            redis.call("XADD", OPS, "6-0", "op", "decr", "counter", C, "note", "", "by", "5");
            redis.call("XADD", EVENTS, "18446744073709551615-18446744073709551615", "type", "last");
            READ_BOTH = ReplyBytes.of(url, readNew.toArray());

            redis.call("XDEL", OPS, "5-2");
            redis.call("XACK", EVENTS, "g", "5-3", "18446744073709551615-18446744073709551615");
            READ_HISTORY = ReplyBytes.of(url, "XREADGROUP", "GROUP", "g", "reader", "COUNT", "100", "STREAMS", OPS, EVENTS, "0", "0");

            redis.call("XADD", OPS, "7-0", "op", "incr", "counter", C, "note", LARGE, "by", "2");
            READ_LARGE = ReplyBytes.of(url, readNew.toArray());
            READ_NOGROUP = ReplyBytes.of(url, "XREADGROUP", "GROUP", "nogroup", "reader", "STREAMS", OPS, ">");

            String nested = redis.callText("SCRIPT", "LOAD", "return {1, 'two', {3, -4, '', {}}, false, 'last'}");
            String errors = redis.callText("SCRIPT", "LOAD",
                    "return {1, redis.error_reply('ERR boom'), {2, redis.error_reply('NESTED bad'), 'x'}, -3, ''}");
            String number = redis.callText("SCRIPT", "LOAD", "return -7");
            String unknown = "0123456789012345678901234567890123456789";
            SCRIPT_NESTED = ReplyBytes.of(url, "EVALSHA", nested, "0");
            SCRIPT_ERRORS = ReplyBytes.of(url, "EVALSHA", errors, "0");
            SCRIPT_NOSCRIPT = ReplyBytes.of(url, "EVALSHA", unknown, "0");
            SCRIPT_NUMBER = ReplyBytes.of(url, "EVALSHA", number, "0");
            SCRIPT_PIPELINE = ReplyBytes.ofPipeline(url, List.of(List.of("EVALSHA", nested, "0"),
                    List.of("EVALSHA", errors, "0"), List.of("EVALSHA", unknown, "0"), List.of("EVALSHA", number, "0")));

            redis.call("SET", "large", LARGE);
            redis.call("SET", "empty", "");
            GET_LARGE = ReplyBytes.of(url, "GET", "large");
            GET_MISSING = ReplyBytes.of(url, "GET", "missing");
            GET_EMPTY = ReplyBytes.of(url, "GET", "empty");
            INCR_NEGATIVE = ReplyBytes.of(url, "INCRBY", "n", "-42");
            INCR_MAX = ReplyBytes.of(url, "INCRBY", "m", Long.toString(Long.MAX_VALUE));
        }
    }

    private RecordedReplies() {
    }

    /** What LARGE reads as through a parser that decodes UTF-8. */
    static String largeAsText() {
        return new String(LARGE, java.nio.charset.StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static String nameIn(Partitioner partitioner, int partition, String prefix) {
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf(prefix + i) == partition) {
                return prefix + i;
            }
        }
    }
}
