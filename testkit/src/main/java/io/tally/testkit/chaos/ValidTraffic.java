package io.tally.testkit.chaos;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.trigger.ThresholdOp;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerMode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The valid half of a chaos run and its model: incr/decr/set/reset on plain counters (some watched
 * by threshold triggers), windowed incr/decr ({@code windows=1m}), {@code unique}, and events that
 * match (or miss) event triggers. Every send carries an operation id, so a send that failed
 * retriably or with an unknown outcome is sent again, same id, until it is acknowledged.
 *
 * <p>Each counter or event type is a lane with at most one send in flight: a lane's entries are
 * therefore in the stream in the order they were acknowledged, and the model, applied in that order,
 * knows every value, every threshold crossing and every bucket sum exactly. A windowed entry carries
 * its own {@code ts}, which picks its bucket whatever its stream id.
 */
public final class ValidTraffic implements AutoCloseable {
    /** Sizes and rate of the traffic. */
    public record Plan(int counters, int windowed, int uniques, int eventTypes, double ratePerSecond, long seed) {
    }

    static final String WINDOW = "1m";
    static final long WINDOW_MS = 60_000;
    private static final long UP = 500;
    private static final long DOWN = -300;

    private enum Kind { COUNTER, WINDOWED, UNIQUE, EVENT }

    private record Watch(String trigger, ThresholdOp op, long value) {
    }

    private final class Lane {
        final String key;
        final Kind kind;
        boolean busy;

        Lane(String key, Kind kind) {
            this.key = key;
            this.kind = kind;
        }
    }

    private final ChaosClient client;
    private final Plan plan;
    private final String tag;
    private final Random random;
    private final List<Lane> lanes = new ArrayList<>();
    private final Map<String, TriggerDefinition> triggers = new LinkedHashMap<>();
    private final Map<String, List<Watch>> watches = new HashMap<>();
    private final Map<String, Boolean> armed = new HashMap<>();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();

    // the model: guarded by this
    private final Map<String, Long> values = new TreeMap<>();
    private final Map<String, Long> buckets = new TreeMap<>();
    private final Map<String, Long> firings = new TreeMap<>();
    private final Map<String, Set<String>> members = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();
    private volatile boolean running;
    private volatile long giveUpAtNanos = Long.MAX_VALUE;
    private Thread generator;

    public ValidTraffic(ChaosClient client, Plan plan, String tag) {
        this.client = client;
        this.plan = plan;
        this.tag = tag;
        this.random = new Random(plan.seed());
        for (int i = 0; i < plan.counters(); i++) {
            String c = "v" + i + "-" + tag;
            lanes.add(new Lane(c, Kind.COUNTER));
            values.put(c, 0L);
            if (i % 5 == 0) {
                watch(c, "up:" + c, ThresholdOp.GTE, UP);
            } else if (i % 5 == 1) {
                watch(c, "down:" + c, ThresholdOp.LTE, DOWN);
            }
        }
        for (int i = 0; i < plan.windowed(); i++) {
            String c = "w" + i + "-" + tag;
            lanes.add(new Lane(c, Kind.WINDOWED));
            values.put(c, 0L);
        }
        for (int i = 0; i < plan.uniques(); i++) {
            String c = "u" + i + "-" + tag;
            lanes.add(new Lane(c, Kind.UNIQUE));
            members.put(c, new HashSet<>());
        }
        for (int i = 0; i < plan.eventTypes(); i++) {
            String type = "e" + i + "-" + tag;
            lanes.add(new Lane(type, Kind.EVENT));
            String name = "event:" + type;
            triggers.put(name, TriggerDefinition.event(type).match("color", "red").mode(TriggerMode.EVERY).build());
            firings.put(name, 0L);
        }
    }

    private void watch(String counter, String name, ThresholdOp op, long value) {
        triggers.put(name, TriggerDefinition.threshold(counter, op, value).mode(TriggerMode.EVERY).build());
        watches.computeIfAbsent(counter, c -> new ArrayList<>()).add(new Watch(name, op, value));
        armed.put(name, true); // every counter starts at 0, outside both conditions
        firings.put(name, 0L);
    }

    /** The triggers the traffic expects, by logical name; create them before {@link #start()}. */
    public Map<String, TriggerDefinition> triggers() {
        return triggers;
    }

    /** Starts sending in a thread of its own. */
    public void start() {
        running = true;
        generator = new Thread(this::generate, "chaos-traffic");
        generator.start();
    }

    private void generate() {
        long start = System.nanoTime();
        long n = 0;
        while (running) {
            long due = start + (long) (n * 1e9 / plan.ratePerSecond());
            long wait = due - System.nanoTime();
            if (wait > 0) {
                sleepMs(Math.max(1, wait / 1_000_000));
                continue;
            }
            n++;
            Lane lane = freeLane();
            if (lane != null) {
                dispatch(lane);
            }
        }
    }

    private Lane freeLane() {
        synchronized (this) {
            for (int tries = 0; tries < 8; tries++) {
                Lane lane = lanes.get(random.nextInt(lanes.size()));
                if (!lane.busy) {
                    lane.busy = true;
                    return lane;
                }
            }
            return null;
        }
    }

    private void dispatch(Lane lane) {
        String id = "op-" + tag + "-" + seq.incrementAndGet();
        Runnable apply;
        CounterOp op = null;
        Event event = null;
        switch (lane.kind) {
            case COUNTER -> {
                int roll = random.nextInt(100);
                op = roll < 55 ? CounterOp.incr(lane.key, 1 + random.nextInt(50))
                        : roll < 85 ? CounterOp.decr(lane.key, 1 + random.nextInt(50))
                        : roll < 95 ? CounterOp.set(lane.key, random.nextInt(1501) - 600)
                        : CounterOp.reset(lane.key);
                op = op.withId(id);
            }
            case WINDOWED -> {
                long by = 1 + random.nextInt(10);
                op = (random.nextInt(4) == 0 ? CounterOp.decr(lane.key, by) : CounterOp.incr(lane.key, by))
                        .withWindows(WINDOW).withTs(System.currentTimeMillis()).withId(id);
            }
            case UNIQUE -> op = CounterOp.unique(lane.key, "m" + random.nextInt(150)).withId(id);
            case EVENT -> event = Event.of(lane.key, Map.of("color", random.nextBoolean() ? "red" : "blue",
                    "n", Long.toString(seq.get()))).withId(id);
        }
        CounterOp finalOp = op;
        Event finalEvent = event;
        apply = op != null ? () -> applyOp(finalOp) : () -> applyEvent(finalEvent);
        sent.incrementAndGet();
        attempt(lane, op != null ? () -> client.send(finalOp) : () -> client.emit(finalEvent), apply, id);
    }

    private void attempt(Lane lane, java.util.function.Supplier<CompletableFuture<String>> send, Runnable apply, String id) {
        CompletableFuture<String> f;
        try {
            f = send.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((entryId, error) -> {
            if (error == null) {
                acked.incrementAndGet();
                synchronized (this) {
                    apply.run();
                    lane.busy = false;
                }
                return;
            }
            ChaosClient.Failure kind = client.classify(error);
            if (kind == ChaosClient.Failure.RETRY && System.nanoTime() < giveUpAtNanos && !retries.isShutdown()) {
                retried.incrementAndGet();
                retries.schedule(() -> attempt(lane, send, apply, id), 100, TimeUnit.MILLISECONDS);
                return;
            }
            synchronized (this) {
                problems.add("valid send " + id + " on " + lane.key + " " + (kind == ChaosClient.Failure.RETRY
                        ? "still failing at the end (outcome unknown): " : "refused (" + kind + "): ") + error);
                lane.busy = false;
            }
        });
    }

    private void applyOp(CounterOp op) {
        String c = op.counter();
        switch (op.kind()) {
            case UNIQUE -> {
                members.get(c).add(op.member());
                return;
            }
            case INCR, DECR -> {
                long delta = op.kind() == io.tally.common.model.OpKind.INCR ? op.amount() : -op.amount();
                values.merge(c, delta, Long::sum);
                if (op.ts() != null) {
                    buckets.merge(bucketKey(c, op.ts() - op.ts() % WINDOW_MS), delta, Long::sum);
                }
            }
            case SET -> values.put(c, op.amount());
            case RESET -> values.put(c, 0L);
        }
        long v = values.get(c);
        for (Watch w : watches.getOrDefault(c, List.of())) {
            boolean holds = w.op().holds(v, w.value());
            if (holds && armed.get(w.trigger())) {
                armed.put(w.trigger(), false);
                firings.merge(w.trigger(), 1L, Long::sum);
            } else if (!holds && !armed.get(w.trigger())) {
                armed.put(w.trigger(), true);
            }
        }
    }

    private void applyEvent(Event event) {
        if ("red".equals(event.params().get("color"))) {
            firings.merge("event:" + event.type(), 1L, Long::sum);
        }
    }

    static String bucketKey(String counter, long start) {
        return counter + "@" + start;
    }

    /**
     * Stops sending and waits up to {@code timeoutMs} for every lane to be acknowledged; a send still
     * failing then is given up and reported as a problem.
     */
    public void stop(long timeoutMs) {
        running = false;
        try {
            if (generator != null) {
                generator.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        giveUpAtNanos = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < giveUpAtNanos + 5_000_000_000L) {
            synchronized (this) {
                if (lanes.stream().noneMatch(l -> l.busy)) {
                    return;
                }
            }
            sleepMs(50);
        }
        synchronized (this) {
            lanes.stream().filter(l -> l.busy).forEach(l -> problems.add("valid send on " + l.key + " never completed"));
        }
    }

    public synchronized Map<String, Long> counters() {
        return new TreeMap<>(values);
    }

    /** Expected bucket sums of the windowed counters, keyed {@code counter@bucketStart}. */
    public synchronized Map<String, Long> buckets() {
        return new TreeMap<>(buckets);
    }

    /** Expected firings by logical trigger name. */
    public synchronized Map<String, Long> firings() {
        return new TreeMap<>(firings);
    }

    /** Distinct members added to each unique counter. */
    public synchronized Map<String, Integer> uniques() {
        Map<String, Integer> out = new TreeMap<>();
        members.forEach((c, m) -> out.put(c, m.size()));
        return out;
    }

    /** Sends that were refused or never acknowledged: each leaves the model unknown. */
    public synchronized List<String> problems() {
        return Collections.unmodifiableList(new ArrayList<>(problems));
    }

    public long sent() {
        return sent.get();
    }

    public long acked() {
        return acked.get();
    }

    public long retried() {
        return retried.get();
    }

    @Override
    public void close() {
        running = false;
        retries.shutdownNow();
    }

    static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
