package io.tally.producer;

import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.RedisTallyProducer;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * close() and flush() while other threads keep sending: each returns, and every send admitted completes.
 */
@ExtendWith(RealRedisExtension.class)
class ProducerCloseRaceTest {
    private static final int THREADS = 8;

    @Test
    void closeReturnsAndEverySendItAdmittedCompletesWhileOtherThreadsKeepSending(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(8).set(TallyConfig.SEND_TIMEOUT_MS, 3_000L).build();
        for (int round = 0; round < 5; round++) {
            AtomicLong unfinished = new AtomicLong();
            TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
            CountDownLatch started = new CountDownLatch(THREADS);
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                Thread sender = new Thread(() -> {
                    started.countDown();
                    try {
                        for (int i = 0; ; i++) {
                            unfinished.incrementAndGet();
                            producer.incr("race." + id + "." + (i % 16), 1).whenComplete((r, e) -> unfinished.decrementAndGet());
                        }
                    } catch (IllegalStateException closed) {
                        unfinished.decrementAndGet();      // refused at the call: nothing admitted
                    }
                }, "race-sender-" + t);
                sender.setDaemon(true);
                sender.start();
                senders.add(sender);
            }
            started.await();
            Thread.sleep(20);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(producer::close);
            try {
                closing.get(10, TimeUnit.SECONDS);         // flush waits at most send-timeout-ms per send
            } catch (TimeoutException e) {
                throw new AssertionError("round " + round + ": close() has not returned after 10 s while "
                        + THREADS + " threads keep sending (send-timeout-ms 3000)", e);
            }
            for (Thread sender : senders) {
                sender.join(10_000);
            }
            int r = round;
            await().atMost(Duration.ofSeconds(6)).untilAsserted(() ->
                    assertThat(unfinished.get()).as("round %d: admitted sends never completed", r).isZero());
        }
    }

    @Test
    void flushReturnsWhileOtherThreadsKeepSending(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(8).set(TallyConfig.SEND_TIMEOUT_MS, 3_000L).build();
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP)) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> senders = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                Thread sender = new Thread(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        producer.incr("flush." + id + "." + (i % 16), 1);
                    }
                }, "flush-sender-" + t);
                sender.setDaemon(true);
                sender.start();
                senders.add(sender);
            }
            Thread.sleep(20);
            CompletableFuture<Void> flushing = CompletableFuture.runAsync(producer::flush);
            try {
                flushing.get(10, TimeUnit.SECONDS);   // the sends queued when it began finish within send-timeout-ms
            } catch (TimeoutException e) {
                throw new AssertionError("flush() has not returned after 10 s while " + THREADS
                        + " threads keep sending (send-timeout-ms 3000)", e);
            } finally {
                stop.set(true);
                for (Thread sender : senders) {
                    sender.join(10_000);
                }
            }
        }
    }
}
