package io.tally.app.demo;

import io.tally.app.cli.TerminalText;
import io.tally.common.trigger.Firing;
import io.tally.producer.read.TallyReader;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Prints the firings of the demo's triggers as they arrive, by polling the newest firings of all
 * partitions (a demo convenience; applications use {@code FiringsConsumer}). Each firing is printed
 * once, by its {@code firing_id}.
 */
final class FiringsWatch {
    private final TallyReader reader;
    private final PrintWriter out;
    private final Set<String> printed = new HashSet<>();

    FiringsWatch(TallyReader reader, PrintWriter out) {
        this.reader = reader;
        this.out = out;
    }

    /**
     * Polls until trigger {@code id} has fired {@code count} times or {@code timeout} passes, printing
     * every new firing of {@code labels}' triggers on the way.
     *
     * @return the number of firings of {@code id} seen
     */
    int await(String id, int count, Duration timeout, Map<String, String> labels) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen;
        do {
            seen = poll(id, labels);
            if (seen >= count) {
                return seen;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        } while (System.nanoTime() < deadline);
        return seen;
    }

    private int poll(String id, Map<String, String> labels) {
        List<Firing> recent = reader.recentFirings(1000);
        int ofId = 0;
        for (int i = recent.size() - 1; i >= 0; i--) {   // oldest first
            Firing f = recent.get(i);
            if (id.equals(f.triggerId())) {
                ofId++;
            }
            if (labels.containsKey(f.triggerId()) && printed.add(f.firingId())) {
                out.printf("  fired: %s trigger %s (%s) cause %s%s%n", f.kind().wire(), f.triggerId(),
                        labels.get(f.triggerId()), TerminalText.safe(f.cause()),
                        f.missed() == -1 ? "" : ", missed " + f.missed());
                out.flush();
            }
        }
        return ofId;
    }
}
