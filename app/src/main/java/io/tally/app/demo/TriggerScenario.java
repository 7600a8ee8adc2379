package io.tally.app.demo;

import io.tally.common.model.Event;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.producer.SendResult;
import io.tally.producer.read.Topic;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The trigger scenarios: an event trigger on {@code click} in once mode fired by clicks, a threshold
 * trigger on a counter, and a time trigger a few seconds ahead. Firings are printed as they arrive,
 * then the final state of each trigger.
 */
final class TriggerScenario implements DemoScenario {
    static final String EVENT_TYPE = "click";
    static final String COUNTER = "signups";
    static final long THRESHOLD = 100;
    static final Duration TIME_AHEAD = Duration.ofSeconds(3);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String title() {
        return "triggers: event on " + EVENT_TYPE + " (once), " + COUNTER + " >= " + THRESHOLD + ", time in "
                + TIME_AHEAD.toSeconds() + " s";
    }

    // Whole on purpose: the demo's script, read top to bottom as the story it prints.
    @Override
    public boolean play(DemoContext ctx) throws Exception {
        FiringsWatch watch = new FiringsWatch(ctx.reader(), ctx.out());
        Map<String, String> labels = new LinkedHashMap<>();

        Trigger click = create(ctx, labels, "click with button=buy, once", TriggerDefinition.event(EVENT_TYPE)
                .match("button", "buy").param("campaign", "demo").build());
        // Start from 0, so that the threshold trigger is armed even on a reused namespace.
        SendResult reset = ctx.producer().reset(COUNTER).join();
        ctx.reader().awaitApplied(reset.partition(), Topic.OPS, reset.entryId(), TIMEOUT);
        Trigger signups = create(ctx, labels, COUNTER + " >= " + THRESHOLD, TriggerDefinition.threshold(COUNTER,
                ThresholdOp.GTE, THRESHOLD).param("alert", "signup-goal").build());
        long at = System.currentTimeMillis() + TIME_AHEAD.toMillis();
        Trigger time = create(ctx, labels, "time, " + TIME_AHEAD.toSeconds() + " s ahead",
                TriggerDefinition.time(at).param("reminder", "demo").build());

        ctx.out().printf("  sending 3 clicks with button=buy and 1 with button=help%n");
        ctx.out().flush();
        for (String button : new String[]{"help", "buy", "buy", "buy"}) {
            ctx.producer().emit(Event.of(EVENT_TYPE, Map.of("button", button))).join();
        }
        boolean ok = watch.await(click.id(), 1, TIMEOUT, labels) == 1;

        ctx.out().printf("  sending 150 x incr %s%n", COUNTER);
        ctx.out().flush();
        CompletableFuture<SendResult> last = null;
        for (int i = 0; i < 150; i++) {
            last = ctx.producer().incr(COUNTER, 1);
        }
        SendResult lastSend = last.join();
        ctx.reader().awaitApplied(lastSend.partition(), Topic.OPS, lastSend.entryId(), TIMEOUT);
        ok &= watch.await(signups.id(), 1, TIMEOUT, labels) == 1;

        ctx.out().printf("  waiting for the time trigger%n");
        ctx.out().flush();
        ok &= watch.await(time.id(), 1, TIMEOUT, labels) == 1;
        // Later clicks must not fire the once trigger again.
        ok &= watch.await(click.id(), 2, Duration.ofMillis(300), labels) == 1;

        ctx.out().printf("  final states:%n");
        for (String id : labels.keySet()) {
            Trigger t = ctx.triggers().get(id).orElseThrow();
            ctx.out().printf("    %-34s %-9s %-6s fired %d time(s)  (%s)%n", t.id(), t.kind().wire(), t.status().wire(),
                    t.fireCount(), labels.get(id));
        }
        ctx.out().printf("  result: %s%n", ok ? "each trigger fired once (as expected)" : "NOT AS EXPECTED");
        ctx.out().flush();
        return ok;
    }

    private static Trigger create(DemoContext ctx, Map<String, String> labels, String label, TriggerDefinition def) {
        Trigger t = ctx.triggers().create(def);
        labels.put(t.id(), label);
        ctx.out().printf("  created %s trigger %s (%s)%n", t.kind().wire(), t.id(), label);
        return t;
    }
}
