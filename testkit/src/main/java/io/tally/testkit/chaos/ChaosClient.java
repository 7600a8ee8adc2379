package io.tally.testkit.chaos;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;

import java.util.concurrent.CompletableFuture;

/**
 * What a chaos run needs from the producer side (the producer library and its trigger client, which
 * this module cannot see): each caller adapts them.
 */
public interface ChaosClient {
    /** How a failed send is to be treated. */
    enum Failure {
        /** Retriable or outcome unknown: send the same operation (same id) again. */
        RETRY,
        /** Refused because its id was used with another payload on the same routing key. */
        CONFLICT,
        /** Any other refusal. */
        REFUSED
    }

    /** Sends an operation; completes with its entry id. */
    CompletableFuture<String> send(CounterOp op);

    /** Sends an event; completes with its entry id. */
    CompletableFuture<String> emit(Event event);

    /** Creates a trigger and returns its id. */
    String createTrigger(TriggerDefinition definition);

    /** Classifies the error a send completed with. */
    Failure classify(Throwable error);
}
