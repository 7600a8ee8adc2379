package io.tally.processor.badinput;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.processor.PartitionHalt;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.redisson.api.RScript;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * A redis-server of its own and one processor; entries are XADDed straight into the streams, bypassing
 * the producer's validation, and the outcome of each (applied, or its dead-letter reason) is read back.
 */
final class BadInputPipeline implements AutoCloseable {
    static final int P = 4;
    // test-only helper: XADD with repeated fields and arbitrary bytes, which Redisson's stream API cannot send
    private static final String RAW_XADD = "return redis.call('XADD', KEYS[1], '*', unpack(ARGV))";

    private static final LuaScript BACKLOG = LuaScript.resource("backlog");

    final RedisServer server;
    final RedissonClient admin;
    final Keys keys;
    final TallyConfig config;
    private final Processor processor;
    private final Map<Integer, String> seenDlq = new HashMap<>();

    BadInputPipeline() {
        server = RedisServer.start();
        config = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, P)
                .set(TallyConfig.IDLE_POLL_MS, 5)
                // every read after the first goes through the fast path's parser, which must hand each
                // adversarial entry to apply.lua exactly as apply.lua would judge it
                .set(TallyConfig.FAST_PATH_MIN_READ, 1).build();
        admin = RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build());
        processor = Processor.start(config, ProcessorListener.NOOP);
        keys = TestRedis.keys(config); // the processor created the namespace
        await().atMost(Duration.ofSeconds(20)).until(() -> processor.ownedPartitions().size() == P);
    }

    /** An entry written to a partition. */
    record Placed(RawEntry entry, int partition) {
    }

    /** Writes the entries in order, waits until all are consumed, and returns each one's outcome. */
    List<String> submit(List<Placed> entries) {
        List<String> ids = new ArrayList<>();
        for (Placed placed : entries) {
            String stream = placed.entry().topic().equals("ops") ? keys.ops(placed.partition()) : keys.events(placed.partition());
            Object id = admin.getScript(ByteArrayCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, RAW_XADD,
                    RScript.ReturnType.VALUE, List.of(stream), placed.entry().fields().toArray());
            ids.add(id instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : String.valueOf(id));
        }
        await().atMost(Duration.ofSeconds(30)).until(this::drained);
        Map<String, String> reasons = new HashMap<>();
        for (int p = 0; p < P; p++) {
            RStream<String, String> dlq = admin.getStream(keys.dlq(p), StringCodec.INSTANCE);
            String after = seenDlq.getOrDefault(p, "0-0");
            Map<StreamMessageId, Map<String, String>> fresh = dlq.range(org.redisson.api.stream.StreamRangeArgs.startId(next(after)).endId(StreamMessageId.MAX));
            for (Map.Entry<StreamMessageId, Map<String, String>> e : fresh.entrySet()) {
                Map<String, String> f = e.getValue();
                // stream ids repeat across partitions: key by partition too
                reasons.put(p + "/" + f.get("source") + "/" + f.get("source_id"), f.get("reason"));
                // the range comes back as a map without a guaranteed order: remember the highest id
                StreamMessageId last = next(seenDlq.getOrDefault(p, "0-0"));
                if (e.getKey().getId0() > last.getId0()
                        || (e.getKey().getId0() == last.getId0() && e.getKey().getId1() >= last.getId1())) {
                    seenDlq.put(p, e.getKey().toString());
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            out.add(reasons.getOrDefault(entries.get(i).partition() + "/" + entries.get(i).entry().topic() + "/" + ids.get(i),
                    Verdict.APPLIED));
        }
        return out;
    }

    boolean drained() {
        for (int p = 0; p < P; p++) {
            List<Object> backlog = BACKLOG.eval(admin, RScript.ReturnType.LIST, new ArrayList<>(keys.inputStreams(p)));
            for (Object v : backlog) {
                if (((Number) v).longValue() > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The partitions the processor reports halted, and why. */
    Map<Integer, PartitionHalt> halts() {
        return processor.haltedPartitions();
    }

    boolean processorReady() {
        return processor.ready() && processor.ownedPartitions().size() == P;
    }

    Map<String, Long> counters() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (int p = 0; p < P; p++) {
            admin.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).readAllMap()
                    .forEach((k, v) -> out.put(k, Long.parseLong(v)));
        }
        return out;
    }

    private static StreamMessageId next(String id) {
        String[] parts = id.split("-");
        return new StreamMessageId(Long.parseLong(parts[0]), Long.parseLong(parts[1]) + 1);
    }

    @Override
    public void close() {
        processor.close();
        admin.shutdown();
        server.close();
    }
}
