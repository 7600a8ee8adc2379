package io.tally.app.service;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The bucket of each token: the burst at once, then the rate, never more; a token's refusals leave others alone. */
class TokenRateTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private long now = 123 * SECOND;
    private final ApiTokens tokens = ApiTokens.from(TallyConfig.builder()
            .set(TallyConfig.API_TOKENS, "token-rate-test-one-0123456789,token-rate-test-two-0123456789").build());

    @Test
    void fullBucket_givesTheBurst_thenOnePerInterval_andSaysHowLongUntilTheNext() {
        TokenRate rate = new TokenRate(tokens, 4, 10, new SimpleMeterRegistry(), "ns", () -> now);
        for (int i = 0; i < 10; i++) {
            assertThat(rate.take(0)).as("operation %d of the burst", i + 1).isZero();
        }
        assertThat(rate.take(0)).as("the 11th waits a quarter second").isEqualTo(SECOND / 4);
        assertThat(rate.untilFull(0)).isEqualTo(10 * SECOND / 4);
        assertThat(rate.take(1)).as("the other token's bucket is full").isZero();

        now += SECOND / 4 - 1;
        assertThat(rate.take(0)).isEqualTo(1);
        now += 1;
        assertThat(rate.take(0)).isZero();
        assertThat(rate.take(0)).isEqualTo(SECOND / 4);

        now += 10 * SECOND;
        int taken = 0;
        while (rate.take(0) == 0) {
            taken++;
        }
        assertThat(taken).as("an idle bucket holds the burst, no more").isEqualTo(10);
    }

    @Test
    void overTime_theTokensTakenAreTheBurstPlusTheRate() {
        TokenRate rate = new TokenRate(tokens, 1000, 50, new SimpleMeterRegistry(), "ns", () -> now);
        int taken = 0;
        for (int ms = 0; ms < 10_000; ms++) {
            for (int i = 0; i < 5; i++) {
                taken += rate.take(0) == 0 ? 1 : 0;
            }
            now += SECOND / 1000;
        }
        // 10 s at 1000 a second, plus the burst the bucket started with
        assertThat(taken).isBetween(10_000 + 50 - 1, 10_000 + 50);
    }

    @Test
    void rateZero_takesEverything() {
        TokenRate rate = new TokenRate(tokens, 0, 1, new SimpleMeterRegistry(), "ns", () -> now);
        for (int i = 0; i < 100_000; i++) {
            assertThat(rate.take(1)).isZero();
        }
        assertThat(rate.untilFull(1)).isZero();
    }

    @Test
    void retryAfter_isWholeSecondsRoundedUp_atLeastOne() {
        assertThat(TokenRate.seconds(1)).isEqualTo(1);
        assertThat(TokenRate.seconds(SECOND)).isEqualTo(1);
        assertThat(TokenRate.seconds(SECOND + 1)).isEqualTo(2);
        assertThat(TokenRate.seconds(0)).isEqualTo(1);
    }
}
