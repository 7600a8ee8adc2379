package io.tally.producer.internal;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.StreamIdsExhaustedException;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A call that a refused write cut short (the stream's ids ran out after two entries) and whose reply was
 * lost: the retry in the same session answers the two written sends with their entry ids and fails the
 * third as not written (stream ids exhausted), each send told its own outcome, nothing written twice.
 */
class CutShortCallTest {
    private static final String APPEND = LuaScript.resource("append_runs").sha();
    private static final String MAX = "18446744073709551615";

    @Test
    void aCallCutShortWhoseReplyWasLost_tellsEachSendItsOwnOutcome() {
        try (RedisServer server = RedisServer.start(); ReplyCuttingProxy proxy = ReplyCuttingProxy.start(server.port())) {
            TallyConfig direct = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, "cut").set(TallyConfig.PARTITIONS, 1).build();
            RedissonClient admin = RedisClientFactory.create(direct);
            try {
                Namespace.create(admin, direct);
                Keys keys = Namespace.keys(admin, "cut");
                TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url())
                        .set(TallyConfig.NAMESPACE, "cut").set(TallyConfig.PARTITIONS, 1)
                        .set(TallyConfig.PRODUCER_LINGER_MS, 100).build();
                try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                    producer.incr("warm", 1).join();
                    // a writer pushed the stream's top two ids short of the largest
                    server.cli("XADD", keys.ops(0), MAX + "-" + "18446744073709551613", "op", "incr", "counter", "x");
                    proxy.cutNext(APPEND, 1, Cut.AFTER_REPLY);
                    List<CompletableFuture<SendResult>> sends = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        sends.add(producer.incr("c" + i, 1));
                    }
                    producer.flush();
                    assertThat(proxy.cuts()).isEqualTo(1);
                    List<String> ids = java.util.Arrays.stream(server.cli("XRANGE", keys.ops(0), "-", "+").split("\\s+"))
                            .filter(w -> w.matches("\\d+-\\d+")).toList();
                    assertThat(ids).hasSize(2 + 2).endsWith(MAX + "-18446744073709551614", MAX + "-" + MAX);
                    assertThat(sends.get(0)).succeedsWithin(Duration.ofSeconds(5)).extracting(SendResult::entryId)
                            .isEqualTo(MAX + "-18446744073709551614");
                    assertThat(sends.get(1)).succeedsWithin(Duration.ofSeconds(5)).extracting(SendResult::entryId)
                            .isEqualTo(MAX + "-" + MAX);
                    assertThat(sends.get(2)).failsWithin(Duration.ofSeconds(5)).withThrowableThat().havingCause()
                            .isInstanceOf(StreamIdsExhaustedException.class);
                }
            } finally {
                admin.shutdown();
            }
        }
    }
}
