package io.tally.testkit.chaos;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What a chaos run needs from the producer side (the producer library and its trigger client, which
 * this module cannot see: the producer's own tests depend on it): each caller adapts them.
 */
public interface ChaosClient extends AutoCloseable {
    /** How a failed send is to be treated. */
    enum Failure {
        /** Retriable or outcome unknown: send the same operation (same id) again. */
        RETRY,
        /** Refused because its id was used with another payload on the same routing key. */
        CONFLICT,
        /** Any other refusal. */
        REFUSED
    }

    /** Opens the producer side of a run against a namespace that processors have created. */
    @FunctionalInterface
    interface Factory {
        ChaosClient open(String redisUrl, String namespace, int partitions);
    }

    /** Sends an operation; completes with its entry id. */
    CompletableFuture<String> send(CounterOp op);

    /** Sends an event; completes with its entry id. */
    CompletableFuture<String> emit(Event event);

    /** Creates a trigger and returns its id. */
    String createTrigger(TriggerDefinition definition);

    /** Whether a send that failed with {@code cause} (unwrapped) may be sent again with the same id. */
    boolean retriable(Throwable cause);

    /** Classifies the error a send completed with; a conflict is the refusal whose message says so. */
    default Failure classify(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (retriable(e)) {
            return Failure.RETRY;
        }
        String text = (e.getClass().getSimpleName() + " " + e.getMessage()).toLowerCase(Locale.ROOT);
        return text.contains("conflict") ? Failure.CONFLICT : Failure.REFUSED;
    }

    /** Closes the producer side. */
    @Override
    void close();
}
