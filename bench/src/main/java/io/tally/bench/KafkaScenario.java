package io.tally.bench;

import java.lang.reflect.InvocationTargetException;

/**
 * Scenario {@code kafka}: Kafka's idempotent producer and Kafka Streams on the producer and drain
 * scenarios' workload, the anchor of the ratios {@code ratio.kafka_*}. Its code (KafkaBaseline and its
 * child processes, in {@code bench/src/kafka/java}) and Kafka itself are in the bench jar only when it
 * is built with the kafka profile, so it is reached by name.
 */
final class KafkaScenario implements Scenario {
    private final BenchContext ctx;

    KafkaScenario(BenchContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void run(int run) throws Exception {
        Class<?> baseline;
        try {
            baseline = Class.forName("io.tally.bench.KafkaBaseline");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the kafka scenario needs the bench built with -Pkafka "
                    + "(bench/run.sh builds it so when --scenarios names kafka)");
        }
        try {
            baseline.getDeclaredMethod("run", BenchContext.class, int.class).invoke(null, ctx, run);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
