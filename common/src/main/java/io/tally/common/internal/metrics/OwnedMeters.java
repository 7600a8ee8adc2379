package io.tally.common.internal.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The meters one binding registered, cached by a key of the caller's choosing (so hot paths look a
 * meter up without building ids) and removed from the registry together on {@link #close()}.
 */
public final class OwnedMeters implements AutoCloseable {
    private final MeterRegistry registry;
    private final Map<Object, Meter> meters = new ConcurrentHashMap<>();

    public OwnedMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The meter cached under {@code key}, registered by {@code factory} on first use. */
    @SuppressWarnings("unchecked")
    public <M extends Meter> M get(Object key, Function<MeterRegistry, M> factory) {
        return (M) meters.computeIfAbsent(key, k -> factory.apply(registry));
    }

    /** Removes every meter registered through this instance. */
    @Override
    public void close() {
        meters.values().forEach(registry::remove);
        meters.clear();
    }
}
