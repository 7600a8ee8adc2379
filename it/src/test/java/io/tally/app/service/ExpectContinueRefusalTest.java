package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A body whose {@code Content-Length} is past its limit, sent with {@code Expect: 100-continue} (curl does for
 * bodies over 1 MiB), is refused with 413 at once, without the {@code 100 Continue} that would ask the client to send
 * the body the service then drops (up to 4 MiB of it).
 */
class ExpectContinueRefusalTest {
    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(2)
            .with(TallyConfig.API_MAX_BATCH_BYTES, 1024L * 1024);

    @Test
    void bodyPastItsLimit_expectingContinue_is413WithoutAskingForTheBody() throws Exception {
        for (String path : new String[] {"/v1/counters/expect/incr", "/v1/batch"}) {
            try (Socket s = RawHttp.connectFrom(InetAddress.getLoopbackAddress(), api.port(), 10_000)) {
                RawHttp.write(s, "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + ApiServerFixture.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n"
                        + "Expect: 100-continue\r\n\r\n");
                RawHttp.Reply reply = RawHttp.read(s);
                assertThat(reply.status()).as(path + ": " + reply.head()).isEqualTo(413);
                assertThat(reply.body()).contains("exceeds the limit");
            }
        }
        assertThat(api.entriesOf("expect")).isZero();
    }
}
