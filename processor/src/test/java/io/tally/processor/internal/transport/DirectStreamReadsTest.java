package io.tally.processor.internal.transport;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.processor.internal.apply.ApplyScripts;
import io.tally.processor.internal.batch.CounterFold;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.processor.internal.batch.ReadBatch;
import io.tally.processor.internal.batch.SeriesRules;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.codec.ByteArrayCodec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The direct hot path (a connection of its own, entries parsed from the socket buffer, scripts sent as
 * EVALSHA on it) against a real redis-server: it reads and judges every entry exactly as the Redisson
 * read path does, fields with arbitrary bytes and repeated names included, its script replies match
 * Redisson's, and it survives NOSCRIPT and Redis going away.
 */
class DirectStreamReadsTest {
    private static final int P = 2;
    /** Test-only: XADD with repeated fields and arbitrary bytes, which Redisson's stream API cannot send. */
    private static final String RAW_XADD = "return redis.call('XADD', KEYS[1], '*', unpack(ARGV))";
    private static final String RAW_XADD_AT = "return redis.call('XADD', KEYS[1], ARGV[1], unpack(ARGV, 2))";
    private static final String CONSUMER = "reader:1";
    private static final String WINDOWS = io.tally.common.series.SeriesWindows.parse("1m=48h").scriptArg();

    private RedisServer server;
    private RedissonClient client;
    private final SeriesRules series = new SeriesRules(io.tally.common.series.SeriesWindows.parse("1m=48h,1h=90d"), 60_000);

    @BeforeEach
    void start() {
        RedisServer.requireAvailable();
        server = RedisServer.start();
        client = RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build());
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.shutdown();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void directReadsJudgeEveryEntryAsTheRedissonReadsDo() {
        Keys direct = namespace("direct");
        Keys redisson = namespace("redisson");
        int p = new Partitioner(P).partitionOf("c");
        Random random = new Random(7);
        try (HotPath.Clients directReads = path(true).open(client, direct, P, CONSUMER);
             HotPath.Clients redissonReads = path(false).open(client, redisson, P, CONSUMER)) {
            int unfoldable = 0;
            for (int round = 0; round < 300; round++) {
                int entries = 1 + random.nextInt(6);
                for (int e = 0; e < entries; e++) {
                    List<byte[]> fields = randomEntry(random);
                    xadd(direct.ops(p), fields);
                    xadd(redisson.ops(p), fields);
                }
                if (round % 10 == 0) {
                    xadd(direct.events(p), List.of(bytes("type"), bytes("signup")));
                    xadd(redisson.events(p), List.of(bytes("type"), bytes("signup")));
                }
                PartitionRead a = directReads.reads().readNew(p, 1000).join();
                PartitionRead b = redissonReads.reads().readNew(p, 1000).join();
                assertThat(describe(a)).as("round %d", round).isEqualTo(describe(b));
                assertThat(a.ops().size()).isEqualTo(entries);
                assertThat(a.ops().last()).isEqualTo(client.getStream(direct.ops(p)).getInfo().getLastGeneratedId().toString());
                assertThat(a.events() == null).isEqualTo(round % 10 != 0);
                if (a.ops().fold(series) == null) {
                    unfoldable++;
                }
            }
            // the generator makes both kinds often enough for the comparison to mean something
            assertThat(unfoldable).isBetween(30, 270);
        }
    }

    @Test
    void bothPathsReadIdsOfTwoToThe63AndBeyondAsUnsigned() {
        Keys direct = namespace("big-ids-direct");
        Keys redisson = namespace("big-ids-redisson");
        int p = new Partitioner(P).partitionOf("c");
        List<String> ids = List.of("9223372036854775807-5", "9223372036854775808-0",
                "9223372036854775808-9223372036854775808", "18446744073709551615-18446744073709551615");
        for (Keys keys : List.of(direct, redisson)) {
            for (String id : ids) {
                xaddAt(keys.ops(p), id, List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c"), bytes("by"), bytes("7")));
            }
        }
        try (HotPath.Clients directReads = path(true).open(client, direct, P, CONSUMER);
             HotPath.Clients redissonReads = path(false).open(client, redisson, P, CONSUMER)) {
            PartitionRead a = directReads.reads().readNew(p, 10).join();
            PartitionRead b = redissonReads.reads().readNew(p, 10).join();
            for (ReadBatch batch : List.of(a.ops(), b.ops())) {
                assertThat(batch.first()).isEqualTo(ids.get(0));
                assertThat(batch.last()).isEqualTo(ids.get(3));
                assertThat(new String(batch.joinedIds(), StandardCharsets.UTF_8)).isEqualTo(String.join(" ", ids) + " ");
                assertThat(batch.cursorBefore()).isEqualTo("9223372036854775807-4");
            }
            assertThat(describe(b)).isEqualTo(describe(a)).startsWith("4;c\n28\n|");
        }
    }

    @Test
    void bothPathsCountEveryFieldOfAnEntryThatRepeatsANameAlone() {
        Keys direct = namespace("repeats-direct");
        Keys redisson = namespace("repeats-redisson");
        int p = new Partitioner(P).partitionOf("c");
        try (HotPath.Clients directReads = path(true).open(client, direct, P, CONSUMER);
             HotPath.Clients redissonReads = path(false).open(client, redisson, P, CONSUMER)) {
            // 1,002 fields over 4 names: too many, however few names; 1,000 are allowed
            for (int repeats : new int[]{999, 997}) {
                List<byte[]> fields = new ArrayList<>(List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c"),
                        bytes("by"), bytes("1")));
                for (int i = 0; i < repeats; i++) {
                    fields.add(bytes("x"));
                    fields.add(bytes("1"));
                }
                xadd(direct.ops(p), fields);
                xadd(redisson.ops(p), fields);
                String a = describe(directReads.reads().readNew(p, 10).join());
                String b = describe(redissonReads.reads().readNew(p, 10).join());
                assertThat(b).as("%d repeats", repeats).isEqualTo(a)
                        .startsWith(repeats == 999 ? "1;unfoldable;" : "1;c\n1\n|");
            }
        }
    }

    @Test
    void readsAValueLargerThanTheReadBuffer() {
        Keys keys = namespace("large");
        int p = new Partitioner(P).partitionOf("c");
        byte[] large = new byte[3 << 20];
        java.util.Arrays.fill(large, (byte) 'x');
        xadd(keys.ops(p), List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c"), bytes("note"), large,
                bytes("by"), bytes("5")));
        xadd(keys.ops(p), List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c")));
        try (HotPath.Clients reads = path(true).open(client, keys, P, CONSUMER)) {
            ReadBatch batch = reads.reads().readNew(p, 1000).join().ops();
            assertThat(batch.size()).isEqualTo(2);
            assertThat(new String(batch.fold(series).pairs(), StandardCharsets.UTF_8)).isEqualTo("c\n6\n");
        }
    }

    @Test
    void aReadWhileRedisIsDownFailsAsRetriableAndALaterReadReconnects() throws Exception {
        Keys keys = namespace("restart");
        int p = new Partitioner(P).partitionOf("c");
        try (HotPath.Clients reads = path(true).open(client, keys, P, CONSUMER)) {
            xadd(keys.ops(p), List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c")));
            assertThat(reads.reads().readNew(p, 10).join().ops().size()).isEqualTo(1);

            server.kill();
            assertThatThrownBy(() -> reads.reads().readNew(p, 10).join())
                    .isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(RedisConnectionException.class)
                    .hasMessageContaining("partition " + p)
                    .hasMessageContaining(server.url().substring("redis://".length()));

            server.restart();
            client.shutdown();
            client = RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build());
            Namespace.create(client, config(keys));
            xadd(keys.ops(p), List.of(bytes("op"), bytes("set"), bytes("counter"), bytes("c"), bytes("value"), bytes("9")));
            // the first read after the restart may still meet the dead connection; a later one reconnects
            PartitionRead read = null;
            for (int i = 0; i < 50 && read == null; i++) {
                try {
                    read = reads.reads().readNew(p, 10).get(5, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(RedisConnectionException.class);
                    Thread.sleep(100);
                }
            }
            assertThat(read).isNotNull();
            assertThat(new String(read.ops().fold(series).pairs(), StandardCharsets.UTF_8)).isEqualTo("c\n=9\n");
        }
    }

    @Test
    void scriptPipelinesOverTheDirectConnectionReplyAsRedissonsDo() throws Exception {
        Keys keys = namespace("scripts");
        int p = new Partitioner(P).partitionOf("c");
        for (int i = 0; i < 5; i++) {
            xadd(keys.ops(p), List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c"), bytes("by"), bytes("2")));
        }
        io.tally.common.internal.redis.LuaScript lease = io.tally.common.internal.redis.LuaScript.resource("lease");
        lease.load(client);
        ApplyScripts.APPLY.load(client);
        try (HotPath.Clients direct = path(true).open(client, keys, P, CONSUMER);
             HotPath.Clients redisson = path(false).open(client, keys, P, CONSUMER)) {
            ScriptPipeline a = direct.pipeline();
            assertThat(a).isInstanceOf(RespScriptPipeline.class);
            java.util.concurrent.CompletableFuture<List<Object>> acquired = a.eval(lease, List.of(keys.lease(p)),
                    "acquire", CONSUMER, 30_000, "");
            java.util.concurrent.CompletableFuture<List<Object>> applied = a.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            a.execute().get(5, TimeUnit.SECONDS);
            assertThat(acquired.join()).containsExactly(1L); // a script's single value comes as a list of one
            List<Object> reply = applied.join();
            assertThat(reply.get(0)).isEqualTo("OK");
            assertThat(client.getMap(keys.counters(p), org.redisson.client.codec.StringCodec.INSTANCE).get("c")).isEqualTo("10");

            // the same call through Redisson, now with nothing new: the same reply shape, element by element
            ScriptPipeline b = redisson.pipeline();
            java.util.concurrent.CompletableFuture<List<Object>> again = b.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            b.execute().get(5, TimeUnit.SECONDS);
            ScriptPipeline c = direct.pipeline();
            java.util.concurrent.CompletableFuture<List<Object>> directAgain = c.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            c.execute().get(5, TimeUnit.SECONDS);
            assertThat(directAgain.join().stream().map(String::valueOf).toList())
                    .isEqualTo(again.join().stream().map(String::valueOf).toList());
        }
    }

    @Test
    void aScriptRedisForgotFailsAsNoScriptAndALostConnectionAsRetriable() throws Exception {
        Keys keys = namespace("noscript");
        int p = new Partitioner(P).partitionOf("c");
        try (HotPath.Clients direct = path(true).open(client, keys, P, CONSUMER)) {
            awaitConnected(direct);
            client.getScript().scriptFlush();
            ScriptPipeline a = direct.pipeline();
            java.util.concurrent.CompletableFuture<List<Object>> f = a.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            assertThatThrownBy(() -> a.execute().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(org.redisson.client.RedisException.class);
            assertThatThrownBy(f::join).satisfies(e -> assertThat(LuaScript.isNoScript(e)).isTrue());
            // the connection stays in step after the error: a read on it still works
            xadd(keys.ops(p), List.of(bytes("op"), bytes("incr"), bytes("counter"), bytes("c")));
            assertThat(direct.reads().readNew(p, 10).get(5, TimeUnit.SECONDS).ops().size()).isEqualTo(1);

            server.kill();
            ScriptPipeline b = direct.pipeline();
            java.util.concurrent.CompletableFuture<List<Object>> lost = b.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            b.execute().handle((v, e) -> null).get(5, TimeUnit.SECONDS);
            assertThatThrownBy(lost::join).hasCauseInstanceOf(RedisConnectionException.class)
                    .hasMessageContaining("script apply");
        }
    }

    @Test
    void aScriptRedisForgotFailsAsNoScriptThroughRedissonToo() throws Exception {
        Keys keys = namespace("noscript-redisson");
        int p = new Partitioner(P).partitionOf("c");
        try (HotPath.Clients redisson = path(false).open(client, keys, P, CONSUMER)) {
            client.getScript().scriptFlush();
            ScriptPipeline a = redisson.pipeline();
            java.util.concurrent.CompletableFuture<List<Object>> f = a.eval(ApplyScripts.APPLY,
                    ApplyScripts.applyKeys(keys, p), CONSUMER, CONSUMER, p, P, 1000, ">", ">", WINDOWS, 60_000);
            a.execute().handle((v, e) -> null).get(5, TimeUnit.SECONDS);
            assertThatThrownBy(f::join).satisfies(e -> assertThat(LuaScript.isNoScript(e)).isTrue());
        }
    }

    @Test
    void aScriptErrorThatMerelyMentionsNoScriptIsNotNoScript_onEitherPath() throws Exception {
        LuaScript mentions = LuaScript.of("mentions",
                "return redis.error_reply('ERR the script was told NOSCRIPT No matching script')");
        mentions.load(client);
        int p = new Partitioner(P).partitionOf("c");
        for (boolean direct : new boolean[] {true, false}) {
            Keys keys = namespace("mentions-" + direct);
            try (HotPath.Clients clients = path(direct).open(client, keys, P, CONSUMER)) {
                if (direct) {
                    awaitConnected(clients);
                }
                ScriptPipeline a = clients.pipeline();
                java.util.concurrent.CompletableFuture<List<Object>> f = a.eval(mentions, List.of(keys.ops(p)));
                a.execute().handle((v, e) -> null).get(5, TimeUnit.SECONDS);
                assertThatThrownBy(f::join).as("direct %s", direct).hasMessageContaining("told NOSCRIPT")
                        .satisfies(e -> assertThat(LuaScript.isNoScript(e)).isFalse());
            }
        }
    }

    /** Waits until the hot path's connection is open (it connects on a thread of its own). */
    private static void awaitConnected(HotPath.Clients clients) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            ScriptPipeline probe = clients.pipeline();
            if (probe instanceof RespScriptPipeline r && r.connected()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the direct connection did not open within 2 s");
    }

    private Keys namespace(String name) {
        return Namespace.create(client, TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, name).set(TallyConfig.PARTITIONS, P).build()).keys();
    }

    private TallyConfig config(Keys keys) {
        return TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                .set(TallyConfig.NAMESPACE, keys.namespace()).set(TallyConfig.PARTITIONS, P).build();
    }

    private HotPath path(boolean direct) {
        return direct ? HotPath.from(TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url()).build())
                : HotPath.redisson();
    }

    private void xadd(String stream, List<byte[]> fields) {
        client.getScript(ByteArrayCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, RAW_XADD,
                RScript.ReturnType.VALUE, List.of(stream), fields.toArray());
    }

    private void xaddAt(String stream, String id, List<byte[]> fields) {
        List<byte[]> args = new ArrayList<>();
        args.add(bytes(id));
        args.addAll(fields);
        client.getScript(ByteArrayCodec.INSTANCE).eval(stream, RScript.Mode.READ_WRITE, RAW_XADD_AT,
                RScript.ReturnType.VALUE, List.of(stream), args.toArray());
    }

    /** Ids and what the fold made of a read, for comparing two read paths. */
    private String describe(PartitionRead read) {
        StringBuilder out = new StringBuilder();
        for (ReadBatch b : new ReadBatch[]{read.ops(), read.events()}) {
            if (b == null) {
                out.append("none;");
                continue;
            }
            out.append(b.size()).append(';');
            CounterFold fold = b.fold(series);
            out.append(fold == null ? "unfoldable" : new String(fold.pairs(), StandardCharsets.UTF_8) + "|" + fold.bound() + "|" + fold.buckets().cells());
            out.append(';');
        }
        return out.toString();
    }

    /** A second counter in the partition of "c". */
    private static final String NEIGHBOUR = neighbourOf("c");

    private static String neighbourOf(String name) {
        Partitioner partitioner = new Partitioner(P);
        for (int i = 0; ; i++) {
            if (partitioner.partitionOf("k" + i) == partitioner.partitionOf(name)) {
                return "k" + i;
            }
        }
    }

    private static final String[] NAMES = {"op", "counter", "by", "value", "ts", "id", "v", "windows", "note", "member"};
    private static final Object[] VALUES = {"incr", "decr", "set", "reset", "unique", "launch", "c", "d", "c", "1", "5",
            "-3", "0", "-0", "05", "+5", "", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "1795428030000", "12x", "a\u0007", "\u00fcn\u00ef", "x".repeat(201), "1m", "1m,1h", "1d", "2",
            new byte[]{(byte) 0xff, (byte) 0xfe}, new byte[]{'c', (byte) 0xc3}};

    /** Mostly well-formed counter ops with a counter of this partition, now and then a broken or odd field. */
    private List<byte[]> randomEntry(Random random) {
        List<byte[]> fields = new ArrayList<>();
        String[] ops = {"incr", "decr", "set", "reset"};
        fields.add(bytes("op"));
        fields.add(bytes(ops[random.nextInt(ops.length)]));
        fields.add(bytes("counter"));
        fields.add(bytes(random.nextBoolean() ? "c" : NEIGHBOUR));
        fields.add(bytes("by"));
        fields.add(bytes(Integer.toString(random.nextInt(100))));
        fields.add(bytes("value"));
        fields.add(bytes(Integer.toString(random.nextInt(1000) - 500)));
        if (random.nextInt(4) == 0) {
            fields.add(bytes(NAMES[random.nextInt(NAMES.length)]));
            Object v = VALUES[random.nextInt(VALUES.length)];
            fields.add(v instanceof byte[] b ? b : bytes((String) v));
        }
        return fields;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
