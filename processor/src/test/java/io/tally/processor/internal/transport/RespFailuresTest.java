package io.tally.processor.internal.transport;

import io.tally.common.internal.redis.LuaScript;
import io.tally.common.internal.resp.RespEndpoint;
import io.tally.common.internal.resp.RespErrorReply;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNoScriptException;

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
                new RespErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value"));
        assertThat(refused).isNotInstanceOf(RedisConnectionException.class).hasCauseInstanceOf(RespErrorReply.class)
                .hasMessageContaining("WRONGTYPE");
        RedisException lost = RespFailures.asRedisException("script apply", AT, new IOException("reset"));
        assertThat(lost).isInstanceOf(RedisConnectionException.class).hasCauseInstanceOf(IOException.class);
        assertThat(RespFailures.isRedirect("MOVEDX")).isFalse();
    }

    @Test
    void aNoScriptReplyIsTypedByItsCode_keepingTheReply() {
        RedisException noScript = RespFailures.asRedisException("script apply", AT,
                new CompletionException(new RespErrorReply("NOSCRIPT No matching script. Please use EVAL.")));
        assertThat(noScript).isInstanceOf(RedisNoScriptException.class).hasCauseInstanceOf(RespErrorReply.class)
                .hasMessage("script apply at " + AT + " refused: NOSCRIPT No matching script. Please use EVAL.");
        assertThat(LuaScript.isNoScript(noScript)).isTrue();
    }

    @Test
    void aReplyThatMerelyMentionsNoScriptIsNotNoScript() {
        for (String reply : new String[] {"ERR Error running script: NOSCRIPT No matching script",
                "NOSCRIPTS are not a code Redis sends", "WRONGTYPE NOSCRIPT"}) {
            RedisException e = RespFailures.asRedisException("script apply", AT, new RespErrorReply(reply));
            assertThat(e).as(reply).isNotInstanceOf(RedisNoScriptException.class).hasCauseInstanceOf(RespErrorReply.class);
            assertThat(LuaScript.isNoScript(e)).as(reply).isFalse();
        }
    }
}
