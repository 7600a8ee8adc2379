package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.app.service.RawHttp.Reply;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import static io.tally.app.service.RawHttp.read;
import static io.tally.app.service.RawHttp.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request whose body is still arriving when api-request-read-timeout-ms passes is answered, not dropped: a
 * {@code POST /v1/batch} whose first lines were sent says, as a batch cut short does, how many were written and from
 * which line to send again, and tells a line whose send outcome is unknown as such (504); a body of which nothing
 * was sent says that nothing was written. The clients here send part of a body, then stall past the 1 s timeout.
 */
class BatchReadTimeoutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LINE = "{\"op\":\"incr\",\"counter\":\"%s\"}\n";

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onOwnRedisServer(4)
            .with(TallyConfig.API_REQUEST_READ_TIMEOUT_MS, 1000)
            .with(TallyConfig.REDIS_TIMEOUT_MS, 500).with(TallyConfig.SEND_TIMEOUT_MS, 2000L);

    @AfterEach
    void resumeRedis() {
        api.redisServer().resume();
    }

    @Test
    void aBatchCutOffByTheReadTimeoutAfterWrittenLines_saysWhatWasWrittenAndWhereToSendAgainFrom() throws Exception {
        String lines = String.format(LINE, "stalled").repeat(3) + "{\"op\":\"in";
        Reply reply;
        try (Socket s = stalledBatch(lines)) {
            reply = read(s);
        }
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(api.entriesOf("stalled")).as("the three complete lines were written").isEqualTo(3);
        JsonNode body = JSON.readTree(reply.body());
        assertThat(body.get("lines").asLong()).isEqualTo(3);
        assertThat(body.get("accepted").asLong()).isEqualTo(3);
        assertThat(body.get("failed").asLong()).isZero();
        assertThat(body.get("complete").asBoolean()).isFalse();
        assertThat(body.get("resendFromLine").asLong()).isEqualTo(4);
        assertThat(body.get("detail").asText()).contains("api-request-read-timeout-ms (1000 ms)")
                .contains("3 of its lines were written").contains("send them again from line 4")
                .doesNotContain("nothing was written");
        assertThat(reply.head().toLowerCase(Locale.ROOT)).as("the rest of the body is never read")
                .contains("connection: close");
    }

    @Test
    void aLineWhoseOutcomeIsUnknownWhenTheReadTimeoutPasses_isToldAsUnknown() throws Exception {
        try (Socket s = stalledBatch("{\"op\":\"incr\",\"counter\":\"unsure\",\"id\":\"unsure-1\"}\n")) {
            await().atMost(Duration.ofSeconds(10)).until(() -> api.entriesOf("unsure") == 1);
            api.redisServer().pause();
            chunk(s.getOutputStream(), "{\"op\":\"incr\",\"counter\":\"unsure\",\"id\":\"unsure-2\"}\n");
            Reply reply = read(s);
            api.redisServer().resume();

            assertThat(reply.status()).as(reply.body()).isEqualTo(400);
            JsonNode body = JSON.readTree(reply.body());
            assertThat(body.get("accepted").asLong()).isEqualTo(1);
            assertThat(body.get("failed").asLong()).isEqualTo(1);
            JsonNode error = body.get("errors").get(0);
            assertThat(error.get("line").asInt()).isEqualTo(2);
            assertThat(error.get("status").asInt()).as(reply.body()).isEqualTo(504);
            assertThat(error.get("detail").asText()).contains("send it again with the same id");
            assertThat(body.get("resendFromLine").asLong()).isEqualTo(3);
            assertThat(body.get("complete").asBoolean()).isFalse();
        }
    }

    @Test
    void aBatchCutOffByTheReadTimeoutBeforeAnyLine_saysNothingWasWritten() throws Exception {
        Reply reply;
        try (Socket s = stalledBatch("{\"op\":\"incr\",\"counter\":\"never\"")) {
            reply = read(s);
        }
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        JsonNode body = JSON.readTree(reply.body());
        assertThat(body.get("detail").asText()).contains("api-request-read-timeout-ms (1000 ms)")
                .contains("nothing was written");
        assertThat(body.get("accepted").asLong()).isZero();
        assertThat(api.entriesOf("never")).isZero();
    }

    @Test
    void aSingleOperationCutOffByTheReadTimeout_isAnswered400NamingIt() throws Exception {
        Reply reply;
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            write(s, "POST /v1/counters/slow/incr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + ApiServerFixture.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
            reply = read(s);
        }
        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(JSON.readTree(reply.body()).get("detail").asText()).contains("api-request-read-timeout-ms (1000 ms)")
                .contains("nothing was written");
        assertThat(api.entriesOf("slow")).isZero();
    }

    /** A socket that sent a chunked batch's head and {@code lines} as one chunk, then sends nothing more. */
    private static Socket stalledBatch(String lines) throws IOException {
        Socket s = new Socket("127.0.0.1", api.port());
        s.setSoTimeout(20_000);
        OutputStream out = s.getOutputStream();
        out.write(ApiServerFixture.chunkedBatchHead().getBytes(StandardCharsets.US_ASCII));
        chunk(out, lines);
        return s;
    }

    private static void chunk(OutputStream out, String data) throws IOException {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
