package io.tally.app.service;

import io.tally.common.config.Acks;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.redis.Namespace;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendResult;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RedisServer;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * With {@code acks=replicas}, a send the master wrote but no replica confirmed (the replica is frozen
 * with SIGSTOP) is reported as outcome-unknown (HTTP 504), never as a retriable failure: its entry is
 * on the master.
 */
class AcksReplicasTest {
    private RedisServer master;
    private RedisServer replica;
    private RedissonClient admin;

    @BeforeEach
    void startMasterAndReplica() {
        master = RedisServer.start();
        replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
        await().atMost(Duration.ofSeconds(20)).until(() -> replica.cli("INFO", "replication").contains("master_link_status:up"));
        admin = RedisClientFactory.create(TallyConfig.builder().set(TallyConfig.REDIS_URL, master.url()).build());
    }

    @AfterEach
    void stop() {
        if (admin != null) {
            admin.shutdown();
        }
        if (replica != null) {
            replica.resume();
            replica.close();
        }
        if (master != null) {
            master.close();
        }
    }

    @Test
    void replicaFrozen_sendIsOutcomeUnknownAndItsEntryIsOnTheMaster_andHttpAnswers504() throws Exception {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, master.url())
                .set(TallyConfig.NAMESPACE, TestRedis.uniqueNamespace()).set(TallyConfig.PARTITIONS, 2)
                .set(TallyConfig.ACKS, Acks.REPLICAS).set(TallyConfig.SEND_TIMEOUT_MS, 1000L)
                .set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1").set(TallyConfig.API_INSECURE, true)
                .build();
        int p = new Partitioner(2).partitionOf("c");
        Namespace.create(admin, config); // as `tally init` would
        Keys keys = TestRedis.keys(config);
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            SendResult confirmed = producer.send(CounterOp.incr("c", 1)).join();
            assertThat(confirmed.duplicate()).isFalse();

            replica.pause();
            assertThatThrownBy(() -> producer.send(CounterOp.incr("c", 2)).join()).cause()
                    .isInstanceOf(OutcomeUnknownException.class)
                    .hasMessageContaining("is on the master").hasMessageContaining("no replica confirmed")
                    .hasMessageContaining("retry only with the same id");
            assertThatThrownBy(() -> producer.send(CounterOp.incr("c", 3).withId("r-1")).join()).cause()
                    .isInstanceOf(OutcomeUnknownException.class);
            assertThat(admin.getStream(keys.ops(p), StringCodec.INSTANCE).size()).isEqualTo(3);
        }
        try (ApiServer server = new ApiServer(admin, config, ApiTokens.from(config), ProducerMetrics.NOOP,
                ServiceMetrics.newRegistry())) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/v1/counters/c/incr"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"by\":4}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
            assertThat(r.body()).contains("is on the master").contains("retry only with the same id");
            assertThat(admin.getStream(keys.ops(p), StringCodec.INSTANCE).size()).isEqualTo(4);
        }
    }
}
