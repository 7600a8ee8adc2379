package io.tally.producer.internal.read;

import io.tally.common.internal.redis.RedisErrorCode;
import io.tally.common.internal.wire.WireFormat;
import io.tally.producer.read.UnreadableStateException;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.client.RedisException;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Reads values that any program with Redis access may have written, the way the scripts that write them do:
 * a number is what HINCRBY would accept (canonical signed 64-bit decimal), a unique count is a HyperLogLog, a key
 * is of its type. Anything else is an {@link UnreadableStateException} naming the counter and the key, never a
 * number guessed from the text ({@code Long.parseLong} reads {@code 007}, {@code +5} and Arabic-Indic digits).
 */
final class StoredState {
    private StoredState() {
    }

    /**
     * A stored counter value or bucket sum.
     *
     * @throws UnreadableStateException when it is not a canonical signed 64-bit integer
     */
    static long number(String counter, String key, String raw) {
        if (WireFormat.isCanonicalInteger(raw)) {
            try {
                return Long.parseLong(raw);
            } catch (NumberFormatException outOfRange) {
                // answered below
            }
        }
        throw new UnreadableStateException(counter, key, "its value '" + UnreadableStateException.shown(raw)
                + "' is not a canonical signed 64-bit integer", null);
    }

    /**
     * Runs a read of {@code key}; Redis refusing it because the key holds another type, or a HyperLogLog it
     * finds corrupt, becomes an {@link UnreadableStateException} that says so.
     */
    static <T> T read(String counter, String key, String expected, Supplier<T> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            throw foreign(e).<RuntimeException>map(code -> wrongType(counter, key, expected, code, e)).orElse(e);
        }
    }

    /** The error code of a refusal that says the stored value is not of its type (WRONGTYPE, INVALIDOBJ). */
    static Optional<String> foreign(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RedisException || t instanceof CompletionException) {
                String code = RedisErrorCode.of(t.getMessage());
                if (code.equals("WRONGTYPE") || code.equals("INVALIDOBJ")) {
                    return Optional.of(code);
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }

    static UnreadableStateException wrongType(String counter, String key, String expected, String code, Throwable cause) {
        String problem = code.equals("INVALIDOBJ") ? "its HyperLogLog is corrupt" : "the key is not " + expected;
        return new UnreadableStateException(counter, key, problem, cause);
    }

    /**
     * Executes a batch of reads, one per key of {@code keyAt}; when Redis refuses one because its key holds
     * another type, the {@link UnreadableStateException} names that key and its counter.
     */
    static void execute(RBatch batch, List<? extends RFuture<?>> replies, IntFunction<String> keyAt,
                        IntFunction<String> counterAt, String expected) {
        try {
            batch.execute();
        } catch (RuntimeException e) {
            for (int i = 0; i < replies.size(); i++) {
                CompletableFuture<?> reply = replies.get(i).toCompletableFuture();
                if (reply.isCompletedExceptionally()) {
                    Throwable why = reply.handle((v, error) -> error).join();
                    Optional<String> code = foreign(why).or(() -> foreign(e));
                    if (code.isPresent()) {
                        throw wrongType(counterAt.apply(i), keyAt.apply(i), expected, code.get(), e);
                    }
                }
            }
            throw e;
        }
    }
}
