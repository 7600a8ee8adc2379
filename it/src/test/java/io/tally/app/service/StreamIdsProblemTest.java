package io.tally.app.service;

import io.tally.producer.StreamIdsExhaustedException;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** A send refused because its stream's ids are used up answers 503 naming the repair, not a retriable 503 or a 500. */
class StreamIdsProblemTest {
    @Test
    void exhaustedStreamIds_are503WithTheRepairAndNoRetryAfter() {
        RedisException redis = new RedisException("ERR Error running script: user_script:1: The stream has exhausted "
                + "the last possible ID, unable to add more items");
        assertThat(StreamIdsExhaustedException.matches(redis)).isTrue();

        ApiProblem p = Problems.of(new CompletionException(new StreamIdsExhaustedException("tally:{p3}:ops", 3, redis)));

        assertThat(p.status).isEqualTo(503);
        assertThat(p.headers).doesNotContainKey("Retry-After");
        assertThat(p.extra).containsEntry("reason", "stream_ids_exhausted").containsEntry("partition", 3)
                .containsEntry("fix", "tally repair stream-ids --partition 3");
        assertThat(p.getMessage()).contains("tally:{p3}:ops").contains("tally repair stream-ids --partition 3");
        assertThat(StreamIdsExhaustedException.matches(new RedisException("OOM command not allowed"))).isFalse();
    }
}
