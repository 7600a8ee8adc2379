package io.tally.it.pipeline;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.InvalidEntryException;
import io.tally.processor.Processor;
import io.tally.processor.ProcessorListener;
import io.tally.producer.SendResult;
import io.tally.producer.Tally;
import io.tally.producer.TallyProducer;
import io.tally.producer.read.Topic;
import io.tally.testkit.PipelineInspector;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * What the producer accepts at the call, a processor applies: an operation whose shape apply.lua turns
 * into a dead letter whatever the counter holds is refused by the producer with an exception naming the field.
 */
@ExtendWith(RealRedisExtension.class)
class ProducerLimitsMatchWireTest {
    private static final int P = 4;
    private final Partitioner partitioner = new Partitioner(P);
    private RedissonClient client;
    private Processor processor;
    private Tally tally;
    private PipelineInspector inspector;

    @BeforeEach
    void start(TestRedis redis) {
        TallyConfig config = redis.config(P).build();
        client = redis.client();
        inspector = new PipelineInspector(client, config.namespace(), P);
        processor = Processor.start(config, ProcessorListener.NOOP);
        tally = Tally.connect(config);
    }

    @AfterEach
    void stop() {
        tally.close();
        processor.close();
        client.shutdown();
    }

    @Test
    void decrByMinusTwoToTheSixtyThreeIsRefusedAtTheCallNotDeadLettered() {
        String c = "stock";
        int p = partitioner.partitionOf(c);
        TallyProducer producer = tally.producer();
        producer.set(c, -5).join();
        // -5 - (-2^63) = 2^63 - 5 fits in 64 bits, yet the entry's 'by' cannot be negated: apply.lua
        // dead-letters it as overflow whatever the counter holds (docs/wire-format.md).
        Throwable refused = catchThrowable(() -> producer.decr(c, Long.MIN_VALUE).join());
        SendResult after = producer.incr(c, 1).join();
        assertThat(tally.reader().awaitApplied(p, Topic.OPS, after.entryId(), Duration.ofSeconds(20))).isTrue();

        assertThat(inspector.deadLetters(p)).extracting(d -> d.get("reason") + ": " + d.get("error")).isEmpty();
        assertThat(refused).isInstanceOf(InvalidEntryException.class)
                .hasMessageContaining("'by'").hasMessageContaining("-9223372036854775808");
        assertThat(((InvalidEntryException) refused).field()).isEqualTo("by");
        assertThat(inspector.counter(c, p)).isEqualTo(-4);
    }

    @Test
    void aWindowTheConfigurationLacksIsRefusedAtTheCallNotDeadLettered() {
        String c = "views";
        int p = partitioner.partitionOf(c);
        TallyProducer producer = tally.producer();
        // producer and processor share series-windows (1m, 1h, 1d); 5m is well-formed but not configured
        Throwable refused = catchThrowable(() -> producer.send(CounterOp.incr(c, 1).withWindows("1m", "5m")).join());
        SendResult after = producer.send(CounterOp.incr(c, 1).withWindows("1m")).join();
        assertThat(tally.reader().awaitApplied(p, Topic.OPS, after.entryId(), Duration.ofSeconds(20))).isTrue();

        assertThat(inspector.deadLetters(p)).extracting(d -> d.get("reason") + ": " + d.get("error")).isEmpty();
        assertThat(refused).isInstanceOf(InvalidEntryException.class)
                .hasMessageContaining("'5m'").hasMessageContaining("series-windows");
        assertThat(((InvalidEntryException) refused).field()).isEqualTo("windows");
        assertThat(((InvalidEntryException) refused).reason()).isEqualTo("bad_windows");
        assertThat(inspector.counter(c, p)).isEqualTo(1);
    }

    @Test
    void aParameterWithoutValueIsRefusedNamingTheParameter() {
        Map<String, String> params = new HashMap<>();
        params.put("button", null);
        Throwable refused = catchThrowable(() -> tally.producer().emit(Event.of("click", params)));
        assertThat(refused).isInstanceOf(InvalidEntryException.class).hasMessageContaining("button");
        assertThat(((InvalidEntryException) refused).field()).isEqualTo("p.button");

        Map<String, String> unnamed = new HashMap<>();
        unnamed.put(null, "buy");
        Throwable noName = catchThrowable(() -> tally.producer().emit(Event.of("click", unnamed)));
        assertThat(noName).isInstanceOf(InvalidEntryException.class).hasMessageContaining("name");
        assertThat(((InvalidEntryException) noName).field()).isEqualTo("params");
    }
}
