package io.tally.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Every scenario by its {@code --scenarios} name, in the order they run. */
final class Scenarios {
    private static final Map<String, Function<BenchContext, Scenario>> BY_NAME = new LinkedHashMap<>();

    static {
        BY_NAME.put("drain", DrainScenario::new);
        BY_NAME.put("steady", SteadyScenario::new);
        BY_NAME.put("latency", LatencyScenario::new);
        BY_NAME.put("takeover", TakeoverScenario::new);
        BY_NAME.put("producer", ProducerScenario::new);
        BY_NAME.put("baselines", BaselinesScenario::new);
        BY_NAME.put("memory", MemoryScenario::new);
        BY_NAME.put("hostile", HostileScenario::new);
        BY_NAME.put("kafka", KafkaScenario::new);
        BY_NAME.put("lettuce-drain", LettuceDrainScenario::new);
    }

    /** Every name, in the order the scenarios run. */
    static final List<String> NAMES = List.copyOf(BY_NAME.keySet());

    private Scenarios() {
    }

    /** The scenario of that name, on the run's context. */
    static Scenario create(String name, BenchContext ctx) {
        Function<BenchContext, Scenario> factory = BY_NAME.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("Unknown scenario '" + name + "'; known: " + NAMES);
        }
        return factory.apply(ctx);
    }
}
