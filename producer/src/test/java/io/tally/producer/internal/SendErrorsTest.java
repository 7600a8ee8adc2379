package io.tally.producer.internal;

import org.junit.jupiter.api.Test;
import org.redisson.client.RedisAskException;
import org.redisson.client.RedisException;
import org.redisson.client.RedisMovedException;
import org.redisson.client.RedisRedirectException;
import org.redisson.client.RedisTimeoutException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Retriability is decided by the failure's type, never by words in its message. */
class SendErrorsTest {

    @Test
    void redisRepliesThatMeanNotNow_areRetriable_typedFromTheirText() {
        for (String reply : new String[] {"OOM command not allowed when used memory > 'maxmemory'.",
                "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
                "READONLY You can't write against a read only replica.", "MASTERDOWN Link with MASTER is down",
                "TRYAGAIN Multiple keys request during rehashing of slot", "CLUSTERDOWN The cluster is down",
                "NOSCRIPT No matching script. Please use EVAL.", "NOREPLICAS Not enough good replicas to write.",
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."}) {
            assertThat(SendErrors.retriable(RedisErrorReplies.of(reply))).as(reply).isTrue();
        }
    }

    @Test
    void clusterRedirects_areRetriableRedirects_keepingRedisTextSlotAndNode() {
        RedisException moved = RedisErrorReplies.of("MOVED 3999 127.0.0.1:7002");
        RedisException ask = RedisErrorReplies.of("ASK 3999 127.0.0.1:7003");
        assertThat(moved).isInstanceOf(RedisMovedException.class).hasMessage("MOVED 3999 127.0.0.1:7002");
        assertThat(ask).isInstanceOf(RedisAskException.class).hasMessage("ASK 3999 127.0.0.1:7003");
        assertThat(((RedisRedirectException) moved).getSlot()).isEqualTo(3999);
        assertThat(((RedisRedirectException) ask).getUrl().getHost()).isEqualTo("127.0.0.1");
        assertThat(((RedisRedirectException) ask).getUrl().getPort()).isEqualTo(7003);
        assertThat(SendErrors.retriable(moved)).isTrue();
        assertThat(SendErrors.retriable(new CompletionException(ask))).isTrue();
        // the producer reads an error reply's code from the message: a redirect is a refusal, nothing written
        assertThat(io.tally.common.internal.redis.RedisErrorCode.of(moved.getMessage())).isEqualTo("MOVED");
    }

    @Test
    void aRedirectWithoutANode_isStillARetriableRedirect() {
        RedisException moved = RedisErrorReplies.of("MOVED");
        assertThat(moved).isInstanceOf(RedisMovedException.class).hasMessage("MOVED");
        assertThat(((RedisRedirectException) moved).getSlot()).isEqualTo(-1);
        assertThat(((RedisRedirectException) moved).getUrl()).isNull();
        assertThat(SendErrors.retriable(moved)).isTrue();
    }

    @Test
    void wrappedTypedFailuresAreRetriable() {
        assertThat(SendErrors.retriable(new CompletionException(new RedisTimeoutException("timed out")))).isTrue();
        assertThat(SendErrors.retriable(new RedisMovedException(12, new org.redisson.misc.RedisURI("redis://127.0.0.1:7001")))).isTrue();
    }

    @Test
    void aMessageThatMerelyMentionsACode_isNotRetriable() {
        assertThat(SendErrors.retriable(RedisErrorReplies.of("ERR wrong number of arguments (READONLY, LOADING)"))).isFalse();
        assertThat(SendErrors.retriable(new RedisException("counter 'MASTERDOWN' is not an integer"))).isFalse();
        assertThat(SendErrors.retriable(new RedisException("NOPERM this user has no permissions to run the 'xadd' command")))
                .isFalse();
    }
}
