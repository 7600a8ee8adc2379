package io.tally.bench;

import io.tally.common.config.TallyConfig;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.Tally;
import io.tally.producer.TallyException;
import io.tally.testkit.chaos.ChaosClient;

import java.util.concurrent.CompletableFuture;

/**
 * The hostile chaos run's view of the producer library and its trigger client. It lives here, not in
 * the test kit, because the producer's own tests use the test kit; the bench's {@code hostile} scenario
 * and {@code HostileChaosTest} share it.
 */
record ProducerChaosClient(Tally tally) implements ChaosClient {
    static ProducerChaosClient open(String redisUrl, String namespace, int partitions) {
        TallyConfig config = TallyConfig.builder().set(TallyConfig.REDIS_URL, redisUrl)
                .set(TallyConfig.NAMESPACE, namespace).set(TallyConfig.PARTITIONS, partitions)
                .set(TallyConfig.SEND_TIMEOUT_MS, 3000L).set(TallyConfig.REDIS_TIMEOUT_MS, 1000).build();
        return new ProducerChaosClient(Tally.connect(config));
    }

    @Override
    public CompletableFuture<String> send(CounterOp op) {
        return tally.producer().send(op).thenApply(SendResult::entryId);
    }

    @Override
    public CompletableFuture<String> emit(Event event) {
        return tally.producer().emit(event).thenApply(SendResult::entryId);
    }

    @Override
    public String createTrigger(TriggerDefinition definition) {
        return tally.triggers().create(definition).id();
    }

    @Override
    public boolean retriable(Throwable cause) {
        return cause instanceof OutcomeUnknownException || (cause instanceof TallyException t && t.retriable());
    }

    @Override
    public void close() {
        tally.close();
    }
}
