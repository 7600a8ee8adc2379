package io.tally.processor.badinput;

import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.LuaScript;
import io.tally.processor.internal.apply.ApplyScripts;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.tally.testkit.RawRedis.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A redis-server of its own with Tally's data scripts loaded, driven over {@link RawRedis}: a test writes
 * hostile entries and stored values of partition 0 (of 1), runs one script, and checks that it either
 * returned or, when it raised an error, left every key of the partition exactly as it was. As a JUnit
 * extension ({@code @RegisterExtension static}) it empties the partition before each test and stops its
 * server after the class.
 */
final class HostileScripts implements AutoCloseable, BeforeEachCallback, AfterAllCallback {
    static final int P = 1;
    static final int PART = 0;
    static final String LEASE = "me:1";
    static final String MAX_ID = "18446744073709551615-18446744073709551615";
    static final String WINDOWS = "1m:60000:3600000";
    static final long FUTURE_MS = 300_000;
    /** What says whether a stream's entries changed, read inside Redis (see inputStreams). */
    private static final String STREAM_ENTRIES = "local info = redis.call('XINFO', 'STREAM', KEYS[1]) "
            + "local out = {} for i = 1, #info, 2 do local k = info[i] "
            + "if k == 'length' or k == 'last-generated-id' or k == 'entries-added' or k == 'max-deleted-entry-id' "
            + "then out[#out + 1] = k .. '=' .. tostring(info[i + 1]) end end return out";

    final RedisServer server;
    final RawRedis redis;
    final Keys keys = new Keys("h", PartitionTags.spread(1));

    HostileScripts() {
        server = RedisServer.start();
        redis = new RawRedis(server.url());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    /** An empty partition: lease held, consumer groups on both input streams. */
    void reset() {
        redis.call("FLUSHALL");
        redis.call("SET", keys.lease(PART), LEASE);
        redis.call("XGROUP", "CREATE", keys.ops(PART), Keys.GROUP, "0", "MKSTREAM");
        redis.call("XGROUP", "CREATE", keys.events(PART), Keys.GROUP, "0", "MKSTREAM");
    }

    /** XADD of a flat field list (names and values as given, repeats kept); the id, or the error. */
    Object xadd(String stream, String id, List<byte[]> flat) {
        List<byte[]> args = new ArrayList<>(flat.size() + 3);
        args.add(RawRedis.bytes("XADD"));
        args.add(RawRedis.bytes(stream));
        args.add(RawRedis.bytes(id));
        args.addAll(flat);
        return redis.reply(args);
    }

    static List<byte[]> fields(Object... namesAndValues) {
        List<byte[]> flat = new ArrayList<>();
        for (Object o : namesAndValues) {
            flat.add(RawRedis.bytes(o));
        }
        return flat;
    }

    Object eval(String script, List<String> keyList, Object... argv) {
        List<byte[]> args = new ArrayList<>();
        args.add(RawRedis.bytes("EVAL"));
        args.add(source(script).getBytes(StandardCharsets.UTF_8));
        args.add(RawRedis.bytes(keyList.size()));
        keyList.forEach(k -> args.add(RawRedis.bytes(k)));
        for (Object a : argv) {
            args.add(RawRedis.bytes(a));
        }
        return redis.reply(args);
    }

    /**
     * Runs a script and asserts the rule: a reply, or an error that wrote nothing. A refusal of a partition's
     * key (BADKEY) may come after apply.lua's XREADGROUP: the entries that read delivered stay pending for
     * the reader (no entry, acknowledgment or other key changed), as after its GAP reply.
     */
    Object runAtomically(String script, List<String> keyList, Object... argv) {
        Map<String, String> before = partitionDump();
        Map<String, List<String>> inputsBefore = inputStreams();
        Object reply = eval(script, keyList, argv);
        if (reply instanceof RawRedis.Error err) {
            String what = script + " failed with " + err.message() + " and must have written nothing";
            Map<String, String> after = partitionDump();
            if (err.message().startsWith("BADKEY ")) {
                Map<String, List<String>> inputsAfter = inputStreams();
                for (String stream : List.of(keys.ops(PART), keys.events(PART))) {
                    before.remove(stream);
                    after.remove(stream);
                    assertThat(inputsAfter.get(stream)).as(what).isEqualTo(inputsBefore.get(stream));
                    assertThat(inputsAfter.get(stream + " pending")).as(what + " (nothing acknowledged)")
                            .containsAll(inputsBefore.get(stream + " pending"));
                }
            }
            assertThat(after).as(what).isEqualTo(before);
        }
        return reply;
    }

    /**
     * Per input stream: what says whether entries were added, deleted or trimmed (length, last id, entries
     * ever added, largest deleted id: an entry cannot change otherwise), read inside Redis so that entries
     * of megabytes are not copied here; and (key + " pending") the ids pending in its group.
     */
    private Map<String, List<String>> inputStreams() {
        Map<String, List<String>> out = new TreeMap<>();
        for (String stream : List.of(keys.ops(PART), keys.events(PART))) {
            List<String> pending = new ArrayList<>();
            Object entries = redis.reply("EVAL", STREAM_ENTRIES, "1", stream);
            if (entries instanceof List<?>) {
                out.put(stream, List.of(text(entries)));
                Object reply = redis.reply("XPENDING", stream, Keys.GROUP, "-", "+", 100_000);
                if (reply instanceof List<?> list) {
                    list.forEach(p -> pending.add(text(((List<?>) p).get(0))));
                }
            }
            out.put(stream + " pending", pending);
        }
        return out;
    }

    /** DUMP of every key of the partition, by key name. */
    Map<String, String> partitionDump() {
        Map<String, String> dump = new TreeMap<>();
        for (String key : redis.keys("*{" + keys.tags().tag(PART) + "}*")) {
            Object value = redis.call("DUMP", key);
            dump.put(key, value == null ? "" : Arrays.toString((byte[]) value));
        }
        return dump;
    }

    List<String> applyKeys() {
        List<String> out = new ArrayList<>();
        ApplyScripts.applyKeys(keys, PART).forEach(k -> out.add(String.valueOf(k)));
        return out;
    }

    Object apply(String consumer, String opsCursor, String eventsCursor) {
        return runAtomically("apply", applyKeys(), LEASE, consumer, PART, P, 1000, opsCursor, eventsCursor, WINDOWS, FUTURE_MS);
    }

    List<String> fastKeys() {
        return List.of(keys.ops(PART), keys.counters(PART), keys.checkpoint(PART), keys.lease(PART),
                keys.triggersByCounter(PART), keys.seriesPrefix(PART), keys.seriesIndex(PART));
    }

    List<String> timeFireKeys() {
        return List.of(keys.lease(PART), keys.schedule(PART), keys.triggers(PART), keys.firings(PART));
    }

    List<String> triggerKeys() {
        return List.of(keys.triggers(PART), keys.schedule(PART), keys.triggersByEvent(PART), keys.triggersByCounter(PART));
    }

    private static String source(String script) {
        return LuaScript.resource(script).source();
    }

    @Override
    public void close() {
        redis.close();
        server.close();
    }
}
