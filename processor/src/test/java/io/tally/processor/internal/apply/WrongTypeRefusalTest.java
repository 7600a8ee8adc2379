package io.tally.processor.internal.apply;

import io.tally.common.internal.resp.RespErrorReply;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The one test of "Redis refused this because a key holds another type", for stream reads and the state guard alike. */
class WrongTypeRefusalTest {
    private static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

    @Test
    void redisWrongTypeReply_asRedissonAndTheHotPathReportIt() {
        assertThat(WrongTypeRefusal.is(new RedisException(WRONGTYPE + ". channel: [id: 0x1] data: CommandData"))).isTrue();
        assertThat(WrongTypeRefusal.is(new RedisException("partition 3: stream read at 127.0.0.1:1 refused: " + WRONGTYPE,
                new RespErrorReply(WRONGTYPE)))).isTrue();
        assertThat(WrongTypeRefusal.is(new CompletionException(new RedisException(WRONGTYPE)))).isTrue();
    }

    @Test
    void aWrongTypeRaisedByAScriptNamingTheKey() {
        assertThat(WrongTypeRefusal.is(new RedisException("WRONGTYPE ensure_groups: tally:{p1}:ops holds no stream; "
                + "no consumer group was checked script: 415822f7388a9a7a59443c8a004038d7f00e7ff1, on @user_script:13."
                + ". channel: [id: 0x1]"))).isTrue();
    }

    @Test
    void aReplyThatOnlyQuotesWrongType_orNoReplyAtAll_isNotOne() {
        assertThat(WrongTypeRefusal.is(new RedisException("BADKEY tally:{p3}:counters holds a string, not a hash "
                + "(HMGET: " + WRONGTYPE + "); nothing was applied"))).isFalse();
        assertThat(WrongTypeRefusal.is(new RedisException("ERR user_script:3: " + WRONGTYPE
                + " script: 415822f7388a9a7a59443c8a004038d7f00e7ff1, on @user_script:3."))).isFalse();
        assertThat(WrongTypeRefusal.is(new RedisConnectionException("connection to 127.0.0.1:1 lost during " + WRONGTYPE)))
                .isFalse();
        assertThat(WrongTypeRefusal.is(new RedisException("OOM command not allowed when used memory > 'maxmemory'")))
                .isFalse();
    }
}
