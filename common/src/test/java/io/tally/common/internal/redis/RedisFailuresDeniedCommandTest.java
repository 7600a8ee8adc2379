package io.tally.common.internal.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RedisFailures#deniedCommand}: the command a NOPERM reply names, as the service's WARN kinds use it. */
class RedisFailuresDeniedCommandTest {
    @Test
    void aNopermReplyNamesItsCommandInLowerCase() {
        assertThat(RedisFailures.deniedCommand("NOPERM User default has no permissions to run the 'EVALSHA' command"))
                .contains("evalsha");
        assertThat(RedisFailures.deniedCommand("NOPERM User tally has no permissions to run the 'hget' command"))
                .contains("hget");
    }

    @Test
    void aReplyWithoutACommandNamesNone() {
        assertThat(RedisFailures.deniedCommand("ERR user executing the script can't run this command")).isEmpty();
        assertThat(RedisFailures.deniedCommand("NOPERM No permissions to access a key")).isEmpty();
        assertThat(RedisFailures.deniedCommand(null)).isEmpty();
    }
}
