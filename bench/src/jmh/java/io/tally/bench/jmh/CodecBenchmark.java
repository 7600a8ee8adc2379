package io.tally.bench.jmh;

import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.internal.wire.WireCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Microbenchmarks of the producer-side hot path: encoding an operation and routing it.
 * {@code mvn -B -Pjmh -pl bench -am package -DskipTests && java -jar bench/target/tally-jmh.jar}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
    private static final int N = 1024;
    private final CounterOp[] ops = new CounterOp[N];
    private final Map<String, String>[] encoded = newArray();
    private final String[] names = new String[N];
    private Partitioner partitioner;
    private int i;

    @SuppressWarnings("unchecked")
    private static Map<String, String>[] newArray() {
        return new Map[N];
    }

    @Setup
    public void setUp() {
        partitioner = new Partitioner(16);
        for (int k = 0; k < N; k++) {
            names[k] = "counter:page-views:" + (k * 7919 % 10_000);
            ops[k] = CounterOp.incr(names[k], 1 + k % 100).withTs(1_700_000_000_000L + k);
            encoded[k] = WireCodec.encode(ops[k]);
        }
    }

    @Benchmark
    public Map<String, String> encodeOp() {
        return WireCodec.encode(ops[i++ & (N - 1)]);
    }

    @Benchmark
    public CounterOp decodeOp() {
        return WireCodec.decodeOp(encoded[i++ & (N - 1)]);
    }

    @Benchmark
    public int partitionOf() {
        return partitioner.partitionOf(names[i++ & (N - 1)]);
    }

    @Benchmark
    public int encodeAndRoute() {
        CounterOp op = ops[i++ & (N - 1)];
        return WireCodec.encode(op).size() + partitioner.partitionOf(op.counter());
    }
}
