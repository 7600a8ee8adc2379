package io.tally.processor.internal.transport;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.keys.HashSlot;
import io.tally.common.internal.resp.RespErrorReply;
import io.tally.processor.internal.batch.PartitionRead;
import io.tally.testkit.RealClusterExtension;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.client.RedisConnectionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The processor's direct hot path on a 3-master Cluster: one connection per master, each partition's
 * reads and scripts on the master serving its slot, and a slot moved to another master answered with
 * MOVED (the command not run, failing as a connection error) and then followed once the slot map is
 * read again.
 */
@Tag("slow")
class ClusterHotPathTest {
    private static final int P = 24;
    private static final LuaScript BACKLOG = LuaScript.resource("backlog");

    @RegisterExtension
    static final RealClusterExtension cluster = new RealClusterExtension();

    @Test
    void partitionsGoToTheirMastersAndFollowAMovedSlot() throws Exception {
        TallyConfig config = cluster.get().config(P).build();
        Keys keys = new Keys(config.namespace(), PartitionTags.spread(P));
        BACKLOG.load(cluster.admin());
        try (HotPath.Clients clients = HotPath.from(config).open(null, keys, P, "t1")) {
            for (int p = 0; p < P; p++) {
                PartitionRead read = clients.reads().readNew(p, 10).get(5, TimeUnit.SECONDS);
                assertThat(read.ops()).as("partition %d", p).isNull();
            }
            for (RedisServer master : cluster.get().masters()) {
                assertThat(master.cli("CLIENT", "LIST")).as("clients of master %d", master.port())
                        .contains("name=tally-hot:t1");
            }
            ScriptPipeline pipeline = clients.pipeline();
            assertThat(pipeline).isInstanceOf(ClusterScriptPipeline.class);
            List<CompletableFuture<List<Object>>> replies = new ArrayList<>();
            for (int p = 0; p < P; p++) {
                replies.add(pipeline.eval(BACKLOG, new ArrayList<>(keys.inputStreams(p))));
            }
            pipeline.execute().get(5, TimeUnit.SECONDS);
            for (CompletableFuture<List<Object>> reply : replies) {
                assertThat(reply.join()).containsExactly(0L, 0L);
            }
            Set<Integer> masters = new HashSet<>(cluster.get().partitionMasters(keys, P).values());
            assertThat(masters).hasSize(3);
            assertThat(((ClusterScriptPipeline) pipeline).masters()).isEqualTo(3);

            int slot = HashSlot.ofKey(keys.ops(0));
            RedisServer from = cluster.get().masterOf(slot);
            RedisServer to = cluster.get().masters().stream().filter(m -> m != from).findFirst().orElseThrow();
            cluster.get().migrateSlot(slot, to);

            ScriptPipeline stale = clients.pipeline();
            CompletableFuture<List<Object>> moved = stale.eval(BACKLOG, new ArrayList<>(keys.inputStreams(0)));
            assertThat(catchThrowable(() -> stale.execute().get(5, TimeUnit.SECONDS))).isNotNull();
            Throwable failure = catchThrowable(moved::join).getCause();
            assertThat(failure).isInstanceOf(RedisConnectionException.class).hasMessageContaining("MOVED " + slot);
            for (Throwable t = failure; t != null; t = t.getCause()) {
                assertThat(t).as("no error reply in the causes: not Redis refusing the script")
                        .isNotInstanceOf(RespErrorReply.class);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                ScriptPipeline fresh = clients.pipeline();
                CompletableFuture<List<Object>> reply = fresh.eval(BACKLOG, new ArrayList<>(keys.inputStreams(0)));
                fresh.execute().get(5, TimeUnit.SECONDS);
                assertThat(reply.join()).containsExactly(0L, 0L);
                assertThat(clients.reads().readNew(0, 10).get(5, TimeUnit.SECONDS).ops()).isNull();
            });
            assertThat(cluster.get().masterOf(slot).port()).isEqualTo(to.port());
        }
    }
}
