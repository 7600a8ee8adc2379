package io.tally.producer.internal;

import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;
import org.redisson.client.RedisMovedException;
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
                "NOSCRIPT No matching script. Please use EVAL."}) {
            assertThat(SendErrors.retriable(RedisErrorReplies.of(reply))).as(reply).isTrue();
        }
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
