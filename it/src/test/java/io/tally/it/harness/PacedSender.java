package io.tally.it.harness;

import io.tally.common.config.TallyConfig;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.TallyProducer;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.Pause;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * Sends a crash scenario's workload from a thread of its own, flushing and pausing every
 * {@code flushEvery} items so that the run spans several injected faults.
 */
public final class PacedSender {
    private PacedSender() {
    }

    public static <T> Thread start(TallyConfig config, List<T> items, int flushEvery, long pauseMs,
                                   BiConsumer<TallyProducer, T> send) {
        Thread thread = new Thread(() -> {
            try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
                int n = 0;
                for (T item : items) {
                    send.accept(producer, item);
                    if (++n % flushEvery == 0) {
                        producer.flush();
                        Pause.ms(pauseMs);
                    }
                }
                producer.flush();
            }
        }, "paced-sender");
        thread.start();
        return thread;
    }
}
