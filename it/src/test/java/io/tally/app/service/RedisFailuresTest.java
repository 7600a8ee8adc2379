package io.tally.app.service;

import io.tally.producer.SendFailedException;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisTimeoutException;

import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures are "Redis cannot serve now" (503), by type and, for bare error replies, by error code. */
class RedisFailuresTest {

    @Test
    void errorCode_isTheLeadingCapitalisedWord() {
        assertThat(RedisFailures.errorCode("OOM command not allowed when used memory > 'maxmemory'")).isEqualTo("OOM");
        assertThat(RedisFailures.errorCode("NOPERM User tally has no permissions")).isEqualTo("NOPERM");
        assertThat(RedisFailures.errorCode("MASTERDOWN Link with MASTER is down")).isEqualTo("MASTERDOWN");
        assertThat(RedisFailures.errorCode("BUSY")).isEqualTo("BUSY");
        assertThat(RedisFailures.errorCode("OOMish text")).isEmpty();
        assertThat(RedisFailures.errorCode("Unexpected exception")).isEmpty();
        assertThat(RedisFailures.errorCode(null)).isEmpty();
    }

    @Test
    void redissonTypes_andBareErrorRepliesDeepInTheCauseChain_areUnavailable() {
        assertThat(RedisFailures.unavailable(new RedisOutOfMemoryException("command not allowed"))).hasValue(
                "Redis is out of memory (maxmemory)");
        assertThat(RedisFailures.unavailable(new SendFailedException("send failed", false,
                new RedisException("OOM command not allowed ... script: 0ea2a1, on @user_script:33.")))).hasValue(
                "Redis is out of memory (maxmemory)");
        assertThat(RedisFailures.unavailable(new RedisException("Unexpected exception",
                new ConnectException("Connection refused")))).hasValue("Redis is unreachable");
        assertThat(RedisFailures.unavailable(new RedisConnectionException("no connection"))).hasValue("Redis is unreachable");
        assertThat(RedisFailures.unavailable(new RedisTimeoutException("timeout"))).hasValue("Redis did not answer in time");
        assertThat(RedisFailures.unavailable(new RedisException("LOADING Redis is loading the dataset in memory")))
                .hasValue("Redis is loading its data");
        assertThat(RedisFailures.unavailable(new RedisException("READONLY You can't write against a read only replica.")))
                .hasValue("Redis is failing over");
    }

    @Test
    void theDeepestReasonWins_aSendHeldForWantOfASessionNamesWhatRedisAnsweredUnderneath() {
        assertThat(RedisFailures.unavailable(new SendFailedException("not sent", true, new RedisConnectionException(
                "the producer is beginning a new session; not sent", new RedisReadonlyException("READONLY replica")))))
                .hasValue("Redis is failing over");
        assertThat(RedisFailures.unavailable(new RedisConnectionException("not sent",
                new RedisException("OOM command not allowed")))).hasValue("Redis is out of memory (maxmemory)");
    }

    @Test
    void aCommandDeniedToTheUser_isToldApart_withOrWithoutTheNopermCode() {
        assertThat(RedisFailures.deniedCommand(new SendFailedException("send failed", false,
                new RedisException("NOPERM this user has no permissions to run the 'evalsha' command")))).isTrue();
        assertThat(RedisFailures.deniedCommand(new RedisException("append_runs.lua stopped before this send",
                new RedisException("ERR The user executing the script can't run this command or subcommand")))).isTrue();
        assertThat(RedisFailures.deniedCommand(new RedisException("WRONGTYPE Operation against a key"))).isFalse();
    }

    @Test
    void scriptErrorsAndPermissionErrors_areNotUnavailable() {
        assertThat(RedisFailures.unavailable(new RedisException("WRONGTYPE Operation against a key script: ab12"))).isEmpty();
        assertThat(RedisFailures.unavailable(new RedisException("NOPERM User tally has no permissions"))).isEmpty();
        assertThat(RedisFailures.unavailable(new IllegalStateException("bug"))).isEmpty();
    }
}
