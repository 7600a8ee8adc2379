package io.tally.producer.triggers;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.trigger.Trigger;
import io.tally.common.trigger.TriggerDefinition;
import io.tally.common.trigger.TriggerKind;
import io.tally.producer.internal.triggers.RedisTriggerClient;
import io.tally.testkit.RawRedis;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Another program may store trigger fields of any size (Tally's own triggers are at most 64 KiB with their state).
 * A page takes its first HSCAN call whole whatever it holds, so 8 definitions of 2 MB each in one partition came in
 * one page: 16 MB built in Lua memory and sent to the service, which then left them out as unreadable. The list
 * script now returns such a trigger by its id, its largest field and that field's size, without reading it: the
 * page's reply stays within 64 KiB a trigger, the others are listed, and a WARN line names each oversize trigger.
 */
@ExtendWith(RealRedisExtension.class)
class TriggerListOversizeTest {
    private static final int OVERSIZE = 8;
    private static final int DEFINITION_BYTES = 2_000_000;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger().addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger().detachAppender(logs);
    }

    @Test
    void triggersStoredPastTheCap_areReportedUnreadByIdAndField_andThePageStaysBounded(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system());
             RawRedis raw = new RawRedis(testRedis.url())) {
            Set<String> created = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                created.add(client.create(TriggerDefinition.event("e" + i).build()).id());
            }
            List<String> oversize = new ArrayList<>();
            Map<String, String> fields = new HashMap<>();
            for (int i = 0; i < OVERSIZE; i++) {
                String id = String.format("t0-%026d", i);
                oversize.add(id);
                fields.put(id, "{\"kind\":\"event\",\"eventType\":\"e\",\"params\":{\"p\":\""
                        + "x".repeat(DEFINITION_BYTES) + "\"}}");
                fields.put(id + ":status", "active");
                fields.put(id + ":createdAt", "1700000000000");
            }
            redis.<String, String>getMap(TestRedis.keys(config).triggers(0), StringCodec.INSTANCE).putAll(fields, 1);

            for (TriggerKind kind : new TriggerKind[] {null, TriggerKind.EVENT}) {
                logs.list.clear();
                long sentBefore = Long.parseLong(raw.info("stats", "total_net_output_bytes"));
                TriggerPage page;
                // a client of its own: a client logs the WARN about a partition at most once a minute
                try (TriggerClient lister = RedisTriggerClient.create(redis, config, InstantSource.system())) {
                    page = lister.listPage(null, kind, null, 1000);
                }
                long sent = Long.parseLong(raw.info("stats", "total_net_output_bytes")) - sentBefore;

                assertThat(page.cursor()).as("one page holds them all").isNull();
                assertThat(page.triggers()).extracting(Trigger::id).containsExactlyInAnyOrderElementsOf(created);
                assertThat(sent).as("bytes Redis sent for the page (kind " + kind + ")").isLessThan(100_000);
                String warned = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.contains("larger than Tally stores")).reduce("", String::concat);
                assertThat(oversize).as("oversize triggers named in a WARN line (kind " + kind + ")")
                        .allSatisfy(id -> assertThat(warned).contains(id + " (field " + id + ": "
                                + (DEFINITION_BYTES + 50) + " bytes)"));
            }
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void repeatedListings_warnAboutAPartitionsOversizeTriggersOncePerInterval(TestRedis testRedis) {
        TallyConfig config = testRedis.config(1).build();
        RedissonClient redis = testRedis.client();
        try (TriggerClient client = RedisTriggerClient.create(redis, config, InstantSource.system())) {
            String id = String.format("t0-%026d", 1);
            redis.<String, String>getMap(TestRedis.keys(config).triggers(0), StringCodec.INSTANCE).putAll(Map.of(
                    id, "{\"kind\":\"event\",\"eventType\":\"e\",\"params\":{\"p\":\"" + "x".repeat(100_000) + "\"}}",
                    id + ":status", "active", id + ":createdAt", "1700000000000"));
            client.create(TriggerDefinition.event("e").build());
            logs.list.clear();
            for (int i = 0; i < 50; i++) {
                assertThat(client.list(null, null)).hasSize(1);
            }
            long warned = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("larger than Tally stores")).count();
            assertThat(warned).as("WARN lines about the oversize trigger over 50 listings within a minute").isEqualTo(1);
        } finally {
            redis.shutdown();
        }
    }

    private static Logger logger() {
        return (Logger) LoggerFactory.getLogger(RedisTriggerClient.class);
    }
}
