package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
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
class BatchCutShortTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(4);

    @Test
    void aBatchCutAfterWrittenLines_is400_sayingWhatWasWrittenAndWhereToSendAgainFrom() throws Exception {
        String lines = "{\"op\":\"incr\",\"counter\":\"cut-batch\"}\n".repeat(3)
                + "{\"op\":\"incr\",\"counter\":\"cut-batch\",\"by\":\"x\"}\n" + "{\"op\":\"in";
        String reply;
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write((ApiServerFixture.chunkedBatchHead() + Integer.toHexString(lines.length() + 100) + "\r\n" + lines)
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            s.shutdownOutput();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            s.getInputStream().transferTo(all);
            reply = all.toString(StandardCharsets.UTF_8);
        }
        assertThat(reply).startsWith("HTTP/1.1 400");
        JsonNode body = JSON.readTree(reply.substring(reply.indexOf("\r\n\r\n") + 4));
        long written = api.redis().getStream(api.keys().ops(api.partitionOf("cut-batch")), StringCodec.INSTANCE).size();
        assertThat(written).as("the complete valid lines were written").isEqualTo(3);
        assertThat(body.get("accepted").asLong()).isEqualTo(3);
        assertThat(body.get("failed").asLong()).isEqualTo(1);
        assertThat(body.get("errors").get(0).get("line").asInt()).as("the failed line is named").isEqualTo(4);
        assertThat(body.get("resendFromLine").asLong()).isEqualTo(5);
        assertThat(body.get("detail").asText()).as(reply).doesNotContain("nothing was written")
                .contains("3 of its lines were written").contains("send them again from line 5");
    }
}
