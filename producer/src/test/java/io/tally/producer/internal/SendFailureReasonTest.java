package io.tally.producer.internal;

import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.producer.SendFailedException;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNodeNotFoundException;
import org.redisson.client.RedisOutOfMemoryException;
import org.redisson.client.RedisReadonlyException;
import org.redisson.client.RedisTimeoutException;

import java.net.ConnectException;
import java.net.SocketException;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One classification of a failure, by type and, for bare error replies, by error code: the metric's reason, and
 * from it the text of "Redis cannot serve now" (the service's 503).
 */
class SendFailureReasonTest {

    @Test
    void errorCode_isTheLeadingCapitalisedWord() {
        assertThat(RedisErrorCode.of("OOM command not allowed when used memory > 'maxmemory'")).isEqualTo("OOM");
        assertThat(RedisErrorCode.of("NOPERM User tally has no permissions")).isEqualTo("NOPERM");
        assertThat(RedisErrorCode.of("MASTERDOWN Link with MASTER is down")).isEqualTo("MASTERDOWN");
        assertThat(RedisErrorCode.of("BUSY")).isEqualTo("BUSY");
        assertThat(RedisErrorCode.of("OOMish text")).isEmpty();
        assertThat(RedisErrorCode.of("Unexpected exception")).isEmpty();
        assertThat(RedisErrorCode.of(null)).isEmpty();
    }

    @Test
    void redissonTypes_andBareErrorRepliesDeepInTheCauseChain_areUnavailable() {
        assertThat(unavailable(new RedisOutOfMemoryException("command not allowed"))).hasValue(
                "Redis is out of memory (maxmemory)");
        assertThat(unavailable(new SendFailedException("send failed", false,
                new RedisException("OOM command not allowed ... script: 0ea2a1, on @user_script:33.")))).hasValue(
                "Redis is out of memory (maxmemory)");
        assertThat(unavailable(new RedisException("Unexpected exception",
                new ConnectException("Connection refused")))).hasValue("Redis is unreachable");
        assertThat(unavailable(new RedisConnectionException("no connection"))).hasValue("Redis is unreachable");
        assertThat(unavailable(new RedisTimeoutException("timeout"))).hasValue("Redis did not answer in time");
        assertThat(unavailable(new RedisException("LOADING Redis is loading the dataset in memory")))
                .hasValue("Redis is loading its data");
        assertThat(unavailable(new RedisException("NOREPLICAS Not enough good replicas to write.")))
                .hasValue("Redis refuses writes: fewer replicas than its min-replicas-to-write are in sync");
        assertThat(unavailable(new RedisException("MISCONF Redis is configured to save RDB snapshots")))
                .hasValue("Redis refuses writes: its last save to disk failed");
        assertThat(unavailable(new RedisException("READONLY You can't write against a read only replica.")))
                .hasValue("Redis is failing over");
        assertThat(unavailable(new RedisException("BUSY Redis is busy running a script.")))
                .hasValue("Redis is busy running a script");
        assertThat(unavailable(new RedisException("CLUSTERDOWN The cluster is down")))
                .hasValue("Redis Cluster is failing over or moving slots");
        assertThat(unavailable(new RedisNodeNotFoundException("Node for slot: 12 hasn't been discovered yet")))
                .hasValue("Redis Cluster is failing over or moving slots");
    }

    @Test
    void bareErrorReplies_areCountedUnderTheReasonTheirTypedFormHas_notAsScriptErrors() {
        assertThat(SendFailureReason.of(new RedisException("OOM command not allowed when used memory > 'maxmemory'")))
                .isEqualTo("out_of_memory");
        assertThat(SendFailureReason.of(new RedisException("MASTERDOWN Link with MASTER is down"))).isEqualTo("read_only");
        assertThat(SendFailureReason.of(new RedisException("BUSY Redis is busy running a script."))).isEqualTo("busy");
        assertThat(SendFailureReason.of(new RedisException("LOADING Redis is loading the dataset in memory")))
                .isEqualTo("loading");
        assertThat(SendFailureReason.of(SendErrors.stoppedBefore("entry 1: NOREPLICAS Not enough good replicas to write.")))
                .isEqualTo("no_replicas");
        assertThat(SendFailureReason.of(SendErrors.stoppedBefore("entry 3: MISCONF Redis is configured to save RDB "
                + "snapshots, but it's currently unable to persist to disk."))).isEqualTo("save_failed");
        assertThat(SendFailureReason.of(new RedisException("TRYAGAIN Multiple keys request during rehashing of slot")))
                .isEqualTo("cluster");
        assertThat(SendFailureReason.of(new RedisException("MOVED 3999 127.0.0.1:7002"))).isEqualTo("cluster");
        assertThat(SendFailureReason.of(new RedisException("WRONGTYPE Operation against a key"))).isEqualTo("script_error");
        assertThat(SendFailureReason.of(new SocketException("Connection reset"))).isEqualTo("unreachable");
    }

    @Test
    void theDeepestReasonWins_aSendHeldForWantOfASessionNamesWhatRedisAnsweredUnderneath() {
        assertThat(unavailable(new SendFailedException("not sent", true, new RedisConnectionException(
                "the producer is beginning a new session; not sent", new RedisReadonlyException("READONLY replica")))))
                .hasValue("Redis is failing over");
        assertThat(unavailable(new RedisConnectionException("not sent",
                new RedisException("OOM command not allowed")))).hasValue("Redis is out of memory (maxmemory)");
    }

    @Test
    void aCommandDeniedToTheUser_isToldApart_withOrWithoutTheNopermCode() {
        assertThat(SendFailureReason.of(new SendFailedException("send failed", false,
                new RedisException("NOPERM this user has no permissions to run the 'evalsha' command"))))
                .isEqualTo(SendFailureReason.NO_PERMISSION);
        assertThat(SendFailureReason.of(new RedisException("append_runs.lua stopped before this send",
                new RedisException("ERR The user executing the script can't run this command or subcommand"))))
                .isEqualTo(SendFailureReason.NO_PERMISSION);
        assertThat(SendFailureReason.of(new RedisException("WRONGTYPE Operation against a key")))
                .isNotEqualTo(SendFailureReason.NO_PERMISSION);
    }

    @Test
    void scriptErrorsAndPermissionErrors_areNotUnavailable() {
        assertThat(unavailable(new RedisException("WRONGTYPE Operation against a key script: ab12"))).isEmpty();
        assertThat(unavailable(new RedisException("NOPERM User tally has no permissions"))).isEmpty();
        assertThat(unavailable(new IllegalStateException("bug"))).isEmpty();
        assertThat(unavailable(new RedisException("NOSESSION no session for this stream"))).isEmpty();
    }

    @Test
    void redisRefusesWritesNow_forRedisWideReasons_notForOneSendsFailure() {
        assertThat(SendFailureReason.ALL.stream().filter(SendFailureReason::refusesWritesNow).toList())
                .containsExactlyInAnyOrder("unreachable", "timeout", "out_of_memory", "read_only", "busy", "loading",
                        "no_replicas", "save_failed", "no_permission", "cluster", "namespace", "eviction_policy");
        assertThat(SendFailureReason.refusesWritesNow("not_a_reason")).isFalse();
    }

    private static Optional<String> unavailable(Throwable failure) {
        return SendFailureReason.unavailableText(SendFailureReason.of(failure));
    }
}
