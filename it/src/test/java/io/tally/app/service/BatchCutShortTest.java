package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.producer.ProducerMetrics;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code POST /v1/batch} whose body ends early (the connection closed mid-line): the complete lines before
 * the cut were sent and written, so the 400 says what was written and from which line to send the rest again,
 * never "nothing was written" (a client that believed it would write those lines twice).
 */
@ExtendWith(RealRedisExtension.class)
class BatchCutShortTest {
    private static final String TOKEN = "batch-cut-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RedissonClient redis;
    private static ApiServer server;
    private static Keys keys;
    private static Partitioner partitioner;

    @BeforeAll
    static void start(TestRedis testRedis) {
        redis = testRedis.client();
        TallyConfig config = testRedis.config(4).set(TallyConfig.API_PORT, 0).set(TallyConfig.API_HOST, "127.0.0.1")
                .set(TallyConfig.API_TOKENS, TOKEN).build();
        server = new ApiServer(redis, config, ApiTokens.from(config), ProducerMetrics.NOOP, ServiceMetrics.newRegistry());
        keys = TestRedis.keys(config);
        partitioner = new Partitioner(4);
    }

    @AfterAll
    static void stop() {
        server.close();
        redis.shutdown();
    }

    @Test
    void aBatchCutAfterWrittenLines_is400_sayingWhatWasWrittenAndWhereToSendAgainFrom() throws Exception {
        String lines = "{\"op\":\"incr\",\"counter\":\"cut-batch\"}\n".repeat(3)
                + "{\"op\":\"incr\",\"counter\":\"cut-batch\",\"by\":\"x\"}\n" + "{\"op\":\"in";
        String reply;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(lines.length() + 100) + "\r\n" + lines).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            s.getInputStream().transferTo(all);
            reply = all.toString(StandardCharsets.UTF_8);
        }
        assertThat(reply).startsWith("HTTP/1.1 400");
        JsonNode body = JSON.readTree(reply.substring(reply.indexOf("\r\n\r\n") + 4));
        long written = redis.getStream(keys.ops(partitioner.partitionOf("cut-batch")), StringCodec.INSTANCE).size();
        assertThat(written).as("the complete valid lines were written").isEqualTo(3);
        assertThat(body.get("accepted").asLong()).isEqualTo(3);
        assertThat(body.get("failed").asLong()).isEqualTo(1);
        assertThat(body.get("errors").get(0).get("line").asInt()).as("the failed line is named").isEqualTo(4);
        assertThat(body.get("resendFromLine").asLong()).isEqualTo(5);
        assertThat(body.get("detail").asText()).as(reply).doesNotContain("nothing was written")
                .contains("3 of its lines were written").contains("send them again from line 5");
    }
}
