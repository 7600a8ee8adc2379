package io.tally.producer.internal;

import io.tally.common.config.HotPathConnection;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.ReplyCuttingProxy;
import io.tally.testkit.ReplyCuttingProxy.Cut;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reply lost with its connection, after Redis ran the call, on either append path: with producer
 * sessions the call goes again in its session and the send succeeds, written once. On the Redisson path
 * (Sentinel, hot-path-connection redisson) Redisson fails a command whose connection closed only at its
 * response timeout, which in a session is a third of send-timeout-ms, so the call still goes again in time.
 */
class RedissonLostReplyTest {
    private static final String APPEND = LuaScript.resource("append_runs").sha();

    @ParameterizedTest
    @EnumSource(HotPathConnection.class)
    void aReplyLostWithItsConnection_isSentAgainInTheSession_andWrittenOnce(HotPathConnection connection) {
        try (RedisServer server = RedisServer.start(); ReplyCuttingProxy proxy = ReplyCuttingProxy.start(server.port())) {
            TallyConfig direct = TallyConfig.builder().set(TallyConfig.REDIS_URL, server.url())
                    .set(TallyConfig.NAMESPACE, "lost").set(TallyConfig.PARTITIONS, 1).build();
            RedissonClient admin = RedisClientFactory.create(direct);
            try {
                Namespace.create(admin, direct);
                Keys keys = Namespace.keys(admin, "lost");
                TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, proxy.url())
                        .set(TallyConfig.NAMESPACE, "lost").set(TallyConfig.PARTITIONS, 1)
                        .set(TallyConfig.PRODUCER_LINGER_MS, 50).set(TallyConfig.SEND_TIMEOUT_MS, 2000L)
                        .set(TallyConfig.HOT_PATH_CONNECTION, connection).build();
                try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                    producer.incr("warm", 1).join();
                    proxy.cutNext(APPEND, 1, Cut.AFTER_REPLY);
                    CompletableFuture<SendResult> send = producer.incr("c", 1);
                    producer.flush();
                    assertThat(proxy.cuts()).isEqualTo(1);
                    assertThat(admin.getStream(keys.ops(0), StringCodec.INSTANCE).size()).isEqualTo(2);
                    assertThat(send).succeedsWithin(Duration.ofSeconds(5)).extracting(SendResult::entryId).isNotNull();
                }
            } finally {
                admin.shutdown();
            }
        }
    }
}
