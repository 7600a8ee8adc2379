package io.tally.producer.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.model.Event;
import io.tally.producer.BackpressureException;
import io.tally.producer.ProducerMetrics;
import io.tally.producer.SendFailedException;
import io.tally.producer.SendResult;
import io.tally.producer.read.UnreadableStateException;
import io.tally.producer.TallyProducer;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Any program can write Tally's keys: one partition's input stream made a key of another type must not stop the
 * backlog monitor from sampling the other partitions, nor leave their last (over the limit) backlog in place.
 */
@ExtendWith(RealRedisExtension.class)
class BacklogMonitorForeignKeyTest {

    @Test
    void anotherPartitionsStreamOfAnotherType_neitherKeepsAStaleRefusal_norHidesTheKey(TestRedis redis) throws Exception {
        TallyConfig config = redis.config(2).set(TallyConfig.BACKLOG_LIMIT, 5).build();
        Keys keys = TestRedis.keys(config);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger monitorLog = (Logger) LoggerFactory.getLogger(BacklogMonitor.class);
        monitorLog.addAppender(logs);
        String junk;
        try (TallyProducer producer = RedisTallyProducer.create(config, ProducerMetrics.NOOP);
             RawRedis raw = new RawRedis(redis.url())) {
            int p = 0;
            for (int i = 0; i < 8; i++) {
                p = producer.incr("c", 1).join().partition();
            }
            junk = keys.events(1 - p);
            Thread.sleep(2 * BacklogMonitor.INTERVAL_MS + 500);
            assertThatThrownBy(() -> producer.incr("c", 1).join()).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(BackpressureException.class).hasMessageContaining("backlog of 8");

            // the processor catches up with partition p (lag 0, nothing pending) while another program makes the
            // other partition's events stream a string
            raw.call("XGROUP", "SETID", keys.ops(p), Keys.GROUP, "$", "ENTRIESREAD", "8");
            raw.call("DEL", junk);
            raw.call("SET", junk, "junk");
            Thread.sleep(3 * BacklogMonitor.INTERVAL_MS);

            SendResult accepted = producer.incr("c", 1).join();
            assertThat(accepted.partition()).isEqualTo(p);
            assertThat(accepted.entryId()).isNotBlank();

            // a send to the stream of another type is refused naming the key, not as backpressure nor as a bare WRONGTYPE
            List<Throwable> refused = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                try {
                    assertThat(producer.emit(Event.of("e" + i, Map.of())).join().partition()).isEqualTo(p);
                } catch (CompletionException e) {
                    refused.add(e.getCause());
                }
            }
            int healthy = p;
            // the healthy partition's events are capped by its own backlog, as they should be
            refused.removeIf(e -> e instanceof BackpressureException
                    && e.getMessage().startsWith("partition " + healthy + " has a backlog"));
            assertThat(refused).isNotEmpty().allSatisfy(e -> assertThat(e).isInstanceOf(SendFailedException.class)
                    .hasMessageContaining("refused, nothing written").hasMessageContaining(junk)
                    .hasMessageContaining("the key holds a string, not a stream")
                    .cause().isInstanceOf(UnreadableStateException.class));
            assertThat(SendFailureReason.of(refused.get(0))).isEqualTo("unreadable_state");
        } finally {
            monitorLog.detachAppender(logs);
        }
        assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.WARN)
                .extracting(ILoggingEvent::getFormattedMessage)
                .filteredOn(m -> m.contains(junk))
                .singleElement().asString().contains("holds a string, not a stream");
    }
}
