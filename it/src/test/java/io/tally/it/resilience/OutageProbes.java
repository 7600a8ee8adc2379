package io.tally.it.resilience;

import io.tally.producer.OutcomeUnknownException;
import io.tally.producer.SendResult;
import io.tally.producer.TallyException;
import io.tally.producer.TallyProducer;
import io.tally.testkit.Pause;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends without an id made while Redis cannot take them, 100 ms apart: each must end within send-timeout-ms
 * (+ 2 s), acknowledged, outcome-unknown or failed retriable; none is silently dropped. The counter then holds
 * between {@link #acknowledged} and {@code acknowledged + unknown}.
 */
record OutageProbes(int acknowledged, int unknown) {
    static OutageProbes send(TallyProducer producer, String counter, int count, long sendTimeoutMs)
            throws InterruptedException {
        List<CompletableFuture<SendResult>> probes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            probes.add(producer.incr(counter, 1));
            Pause.ms(100);
        }
        int ok = 0;
        int unknown = 0;
        for (CompletableFuture<SendResult> f : probes) {
            try {
                f.get(sendTimeoutMs + 2000, TimeUnit.MILLISECONDS);
                ok++;
            } catch (TimeoutException e) {
                throw new AssertionError("a send neither completed nor failed within send-timeout-ms + 2 s", e);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(TallyException.class);
                if (e.getCause() instanceof OutcomeUnknownException) {
                    unknown++;
                } else {
                    assertThat(((TallyException) e.getCause()).retriable()).as(e.getCause().getMessage()).isTrue();
                }
            }
        }
        return new OutageProbes(ok, unknown);
    }
}
