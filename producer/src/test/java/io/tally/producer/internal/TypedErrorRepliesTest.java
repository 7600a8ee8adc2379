package io.tally.producer.internal;

import io.tally.common.internal.redis.LuaScript;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;
import org.redisson.client.RedisNoScriptException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NOSCRIPT and DEDUPEBUCKET are typed by their error code where they enter the producer, on the direct
 * path ({@link RedisErrorReplies}) and through Redisson ({@link RedissonSendPipeline#typed}); nothing
 * later reads their text to recognise them.
 */
class TypedErrorRepliesTest {
    /** What Redisson appends to an error reply it leaves untyped. */
    private static final String REDISSON = ". channel: [id: 0x5f1e, L:/127.0.0.1:50412 - R:127.0.0.1/127.0.0.1:6391]"
            + " command: (EVALSHA), params: [7b4c..., 3, tally:{p0}:ops, ...]";
    private static final String REFUSAL = "DEDUPEBUCKET 1795428030123 is Redis time: the dedupe buckets of this call "
            + "must end in 598476, 598475 and 598477 (window 3000000 ms); this call wrote nothing";

    @Test
    void noScriptIsTypedByItsCode_andAMessageThatMerelyMentionsItIsNot() {
        RedisException noScript = RedisErrorReplies.of("NOSCRIPT No matching script. Please use EVAL.");
        assertThat(noScript).isInstanceOf(RedisNoScriptException.class);
        assertThat(LuaScript.isNoScript(new CompletionException(noScript))).isTrue();
        for (String reply : new String[] {"ERR Error running script: NOSCRIPT No matching script",
                "NOSCRIPTS is no code", "WRONGTYPE NOSCRIPT"}) {
            RedisException e = RedisErrorReplies.of(reply);
            assertThat(e).as(reply).isNotInstanceOf(RedisNoScriptException.class);
            assertThat(LuaScript.isNoScript(e)).as(reply).isFalse();
        }
        assertThat(LuaScript.isNoScript(new RedisException("ERR user_script:1: NOSCRIPT No matching script. channel: x")))
                .isFalse();
    }

    @Test
    void aDedupeBucketRefusalIsTyped_retriable_withRedisTime() {
        RedisException e = RedisErrorReplies.of(REFUSAL);
        assertThat(e).isInstanceOf(DedupeBucketRefusal.class).hasMessage(REFUSAL);
        assertThat(((DedupeBucketRefusal) e).redisMs()).isEqualTo(1795428030123L);
        assertThat(SendErrors.retriable(e)).isTrue();
        assertThat(((DedupeBucketRefusal) RedisErrorReplies.of("DEDUPEBUCKET")).redisMs()).isEqualTo(-1);
        assertThat(((DedupeBucketRefusal) RedisErrorReplies.of("DEDUPEBUCKET soon")).redisMs()).isEqualTo(-1);
        // only the code counts: a script error that names it is neither a refusal nor retriable
        RedisException mention = RedisErrorReplies.of("ERR counter 'DEDUPEBUCKET 5' is not an integer");
        assertThat(mention).isNotInstanceOf(DedupeBucketRefusal.class);
        assertThat(SendErrors.retriable(mention)).isFalse();
    }

    @Test
    void redissonsUntypedRefusal_isTypedAsTheDirectPathTypesIt_keepingRedissonsExceptionAsCause() {
        RedisException redisson = new RedisException(REFUSAL + REDISSON);
        Throwable typed = RedissonSendPipeline.typed(new CompletionException(redisson));
        assertThat(typed).isInstanceOf(DedupeBucketRefusal.class).hasMessage(REFUSAL).hasCause(redisson);
        assertThat(((DedupeBucketRefusal) typed).redisMs()).isEqualTo(1795428030123L);
        assertThat(SendErrors.retriable(typed)).isTrue();
    }

    @Test
    void redissonsOtherFailuresStayAsTheyAre() {
        for (Throwable failure : new Throwable[] {
                new RedisException("WRONGTYPE Operation against a key holding the wrong kind of value" + REDISSON),
                new RedisException("ERR Error running script: DEDUPEBUCKET 5 NOSCRIPT" + REDISSON),
                new RedisNoScriptException("NOSCRIPT No matching script. Please use EVAL." + REDISSON),
                new CompletionException(new RedisException("SEQGAP 7 expected 5" + REDISSON)),
                new IllegalStateException("DEDUPEBUCKET 5 but not a reply")}) {
            assertThat(RedissonSendPipeline.typed(failure)).as(failure.toString()).isSameAs(failure);
        }
    }

    @Test
    void theClockLearnsRedisTimeFromATypedRefusalOnly() {
        long windowMs = 60_000;
        long redisMs = System.currentTimeMillis() + 10 * windowMs;
        long redisBucket = Math.floorDiv(redisMs, windowMs);
        DedupeClock untyped = new DedupeClock(windowMs);
        untyped.learnFrom(new RedisException("DEDUPEBUCKET " + redisMs + " is Redis time" + REDISSON));
        assertThat(untyped.bucket()).isLessThan(redisBucket - 5);

        DedupeClock clock = new DedupeClock(windowMs);
        clock.learnFrom(new CompletionException(RedissonSendPipeline.typed(
                new RedisException("DEDUPEBUCKET " + redisMs + " is Redis time" + REDISSON))));
        assertThat(clock.bucket()).isBetween(redisBucket, redisBucket + 1);
    }
}
