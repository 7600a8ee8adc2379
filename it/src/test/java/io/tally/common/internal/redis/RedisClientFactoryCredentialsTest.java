package io.tally.common.internal.redis;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tally.common.config.TallyConfig;
import io.tally.common.internal.redis.RedisClientFactory;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.slf4j.LoggerFactory;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The client authenticates as the URL's ACL user with the configured password, through Redisson's current API. */
class RedisClientFactoryCredentialsTest {

    @Test
    void aclUserAndPassword_connect_withoutDeprecationWarnings() {
        RedisServer.requireAvailable();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try (RedisServer server = RedisServer.start()) {
            assertThat(server.cli("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all")).isEqualTo("OK");
            assertThat(server.cli("ACL", "SETUSER", "default", "off")).isEqualTo("OK");
            TallyConfig config = TallyConfig.builder()
                    .env(Map.of("TALLY_REDIS_PASSWORD", "app-pw"))
                    .set(TallyConfig.REDIS_URL, "redis://app@127.0.0.1:" + server.port()).build();
            RedissonClient redis = RedisClientFactory.create(config);
            try {
                redis.getBucket("k").set("v");
                assertThat(redis.getBucket("k").get()).isEqualTo("v");
            } finally {
                redis.shutdown();
            }
        } finally {
            root.detachAppender(logs);
        }
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .noneMatch(m -> m.contains("deprecated"));
    }
}
