package io.tally.processor.internal.apply;

import io.tally.common.internal.resp.RespErrorReply;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.RedisTimeoutException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

class ScriptFailureTest {
    private static final String SUFFIX = " script: 415822f7388a9a7a59443c8a004038d7f00e7ff1, on @user_script:1.";

    private static RedisException reply(String text) {
        return new RedisException("script apply at 127.0.0.1:1 refused: " + text, new RespErrorReply(text));
    }

    @Test
    void aLuaErrorInsideTheScriptMayBeTheEntrysFault() {
        assertThat(ScriptFailure.of(reply("ERR user_script:352: attempt to compare nil with number" + SUFFIX)))
                .isEqualTo(ScriptFailure.SCRIPT_ERROR);
        assertThat(ScriptFailure.of(new CompletionException(reply("ERR Wrong number of args calling Redis command from script" + SUFFIX))))
                .isEqualTo(ScriptFailure.SCRIPT_ERROR);
    }

    @Test
    void refusalsByRedisOrTheOperatorAreNeverTheEntrysFault() {
        for (String text : new String[] {"OOM command not allowed when used memory > 'maxmemory'." + SUFFIX,
                "NOPERM this user has no permissions to run the 'xadd' command" + SUFFIX,
                "READONLY You can't write against a read only replica." + SUFFIX,
                "LOADING Redis is loading the dataset in memory", "MASTERDOWN Link with MASTER is down",
                "BUSY Redis is busy running a script.",
                "WRONGTYPE Operation against a key holding the wrong kind of value" + SUFFIX,
                "BADKEY tally:{p3}:dlq has ids for 0 more entries, not 1; nothing was applied" + SUFFIX,
                "BADKEY tally:{p3}:counters holds a string, not a hash (HMGET: WRONGTYPE Operation against a key "
                        + "holding the wrong kind of value); nothing was applied",
                "ERR max number of clients reached",
                "ERR The user executing the script can't run this command or subcommand" + SUFFIX,
                "NOPERM this user may not run the 'pfadd' command on 'tally:hll:c2', which apply.lua needs after its "
                        + "first write; the call was refused before it"}) {
            assertThat(ScriptFailure.of(reply(text))).as(text).isEqualTo(ScriptFailure.REDIS_REFUSED);
        }
    }

    @Test
    void noReplyAndNoScriptAreTheLoopsBusiness() {
        assertThat(ScriptFailure.of(new RedisConnectionException("connection lost"))).isEqualTo(ScriptFailure.CONNECTION);
        assertThat(ScriptFailure.of(new RedisTimeoutException("timed out"))).isEqualTo(ScriptFailure.CONNECTION);
        RedisException noScript = new RedisNoScriptException("script apply at 127.0.0.1:1 refused: NOSCRIPT No matching script.");
        noScript.initCause(new RespErrorReply("NOSCRIPT No matching script."));
        assertThat(ScriptFailure.of(noScript)).isEqualTo(ScriptFailure.CONNECTION);
        assertThat(ScriptFailure.of(new RedisNoScriptException("NOSCRIPT No matching script. channel: [id: 0x1]")))
                .isEqualTo(ScriptFailure.CONNECTION);
    }

    @Test
    void aReplyThatMerelyMentionsNoScriptIsNotNoScript() {
        assertThat(ScriptFailure.of(reply("ERR user_script:3: NOSCRIPT in a message" + SUFFIX)))
                .isEqualTo(ScriptFailure.SCRIPT_ERROR);
    }

    @Test
    void theTextDropsTheScriptShaSuffix() {
        assertThat(ScriptFailure.text(reply("ERR user_script:9: boom" + SUFFIX))).isEqualTo("ERR user_script:9: boom");
        assertThat(ScriptFailure.text(reply("ERR The user executing the script can't run this command or subcommand"
                + SUFFIX))).isEqualTo("ERR The user executing the script can't run this command or subcommand "
                + "(ACL LOG names the command)");
        assertThat(ScriptFailure.text(new RedisException("ERR user_script:9: boom" + SUFFIX
                + ". channel: [id: 0x1] data: CommandData"))).isEqualTo("ERR user_script:9: boom");
    }
}
