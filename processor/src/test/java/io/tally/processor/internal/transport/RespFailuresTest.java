package io.tally.processor.internal.transport;

import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

class RespFailuresTest {
    private static final RespEndpoint AT = new RespEndpoint("h", 1, null, null, null, 1000, null);

    @Test
    void redirectsAreConnectionErrorsWithoutTheErrorReply() {
        for (String reply : new String[] {"MOVED 3999 127.0.0.1:7001", "ASK 3999 127.0.0.1:7001",
                "TRYAGAIN Multiple keys request during rehashing of slot"}) {
            RedisException e = RespFailures.asRedisException("script apply", AT,
                    new CompletionException(new RespErrorReply(reply)));
            assertThat(e).as(reply).isInstanceOf(RedisConnectionException.class).hasMessageContaining(reply).hasNoCause();
        }
    }

    @Test
    void otherErrorRepliesKeepTheReplyAndLostConnectionsAreConnectionErrors() {
        RedisException refused = RespFailures.asRedisException("script apply", AT,
                new RespErrorReply("NOSCRIPT No matching script"));
        assertThat(refused).isNotInstanceOf(RedisConnectionException.class).hasCauseInstanceOf(RespErrorReply.class)
                .hasMessageContaining("NOSCRIPT");
        RedisException lost = RespFailures.asRedisException("script apply", AT, new IOException("reset"));
        assertThat(lost).isInstanceOf(RedisConnectionException.class).hasCauseInstanceOf(IOException.class);
        assertThat(RespFailures.isRedirect("MOVEDX")).isFalse();
    }
}
