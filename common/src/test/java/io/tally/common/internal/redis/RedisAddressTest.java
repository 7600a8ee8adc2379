package io.tally.common.internal.redis;

import io.tally.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A refused --redis-url is quoted without what precedes its '@': a password put there never reaches a log. */
class RedisAddressTest {

    @Test
    void refusalsNeverQuoteTheUserInfo() {
        for (String url : new String[] {"redis://u:s3cretPW@my_host:1", "redis://u:s3cretPW@host :6379",
                "http://u:s3cretPW@h:1", "u:s3cretPW@h:1"}) {
            assertThatThrownBy(() -> RedisClientFactory.RedisAddress.parse(url)).as(url)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("--redis-url")
                    .hasMessageNotContaining("s3cretPW");
        }
    }

    @Test
    void aPasswordInAValidUrlIsRefusedNamingTheFix() {
        assertThatThrownBy(() -> RedisClientFactory.RedisAddress.parse("redis://u:s3cretPW@h:6379"))
                .hasMessageContaining("TALLY_REDIS_PASSWORD").hasMessageNotContaining("s3cretPW");
    }
}
