package io.tally.app.demo;

import io.tally.producer.SendResult;
import io.tally.producer.read.Topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The seed scenario: 1,000 increments, 500 decrements, a reset, then 7 increments on one counter,
 * each step read back once the processors have applied it; the counter ends at 7.
 */
final class CounterScenario implements DemoScenario {
    static final String COUNTER = "page_views";
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String title() {
        return "counter " + COUNTER + ": 1,000 incr, 500 decr, reset, 7 incr";
    }

    @Override
    public boolean play(DemoContext ctx) {
        step(ctx, "1/4", "1000 x incr " + COUNTER, 1000, () -> ctx.producer().incr(COUNTER, 1));
        step(ctx, "2/4", " 500 x decr " + COUNTER, 500, () -> ctx.producer().decr(COUNTER, 1));
        step(ctx, "3/4", "      reset " + COUNTER, 1, () -> ctx.producer().reset(COUNTER));
        long last = step(ctx, "4/4", "   7 x incr " + COUNTER, 7, () -> ctx.producer().incr(COUNTER, 1));
        boolean ok = last == 7;
        ctx.out().printf("  result: %s = %d (%s)%n", COUNTER, last, ok ? "as expected" : "EXPECTED 7");
        return ok;
    }

    private static long step(DemoContext ctx, String number, String what, int n, Supplier<CompletableFuture<SendResult>> send) {
        long start = System.nanoTime();
        List<CompletableFuture<SendResult>> sends = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sends.add(send.get());
        }
        SendResult lastSend = sends.get(n - 1).join();
        sends.forEach(CompletableFuture::join);
        if (!ctx.reader().awaitApplied(lastSend.partition(), Topic.OPS, lastSend.entryId(), APPLY_TIMEOUT)) {
            throw new IllegalStateException("demo: entry " + lastSend.entryId() + " of partition " + lastSend.partition()
                    + " was not applied within " + APPLY_TIMEOUT.toSeconds() + " s; see the processor log above");
        }
        long value = ctx.reader().counter(COUNTER).value();
        ctx.out().printf("  [%s] %-22s sent %4d, applied in %4d ms -> %s = %d%n", number, what, n,
                (System.nanoTime() - start) / 1_000_000, COUNTER, value);
        ctx.out().flush();
        return value;
    }
}
