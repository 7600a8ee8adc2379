package io.tally.producer.internal;

import org.redisson.client.RedisConnectionException;

/**
 * A stream's call that never left the producer: no connection to Redis right now, or the stream waits
 * for a new producer session. Nothing of it was written; a retry may succeed.
 */
final class NotSentException extends RedisConnectionException {
    NotSentException(String message, Throwable cause) {
        super(message, cause);
    }
}
