package io.tally.app.service;

import io.tally.producer.ProducerMetrics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class SendRefusalsTest {
    private long now = 1_000_000_000L;
    private final SendRefusals refusals = new SendRefusals(ProducerMetrics.NOOP, () -> now);

    private void advance(long ms) {
        now += Duration.ofMillis(ms).toNanos();
    }

    @Test
    void everySendRefused_isNotReadyOnceNoSendWasAnsweredForASecond() {
        refusals.sent("ops", "ok", 1);
        for (int i = 0; i < 9; i++) {
            advance(100);
            refusals.failed("ops", "out_of_memory");
            assertThat(refusals.now()).as("%d ms after the last answered send", (i + 1) * 100).isEmpty();
        }
        advance(100);
        refusals.failed("ops", "out_of_memory");
        assertThat(refusals.now()).contains("out_of_memory");
        advance(100);
        assertThat(refusals.now()).contains("out_of_memory");

        refusals.sent("ops", "ok", 1);
        assertThat(refusals.now()).as("one send answered again").isEmpty();
    }

    /** One Cluster master out of memory, the others fine: readiness must not flip with each outcome. */
    @Test
    void refusalsInterleavedWithAnsweredSends_stayReady() {
        for (int i = 0; i < 200; i++) {
            advance(10);
            refusals.sent("ops", "ok", 1);
            advance(10);
            refusals.failed("ops", "out_of_memory");
            assertThat(refusals.now()).as("after outcome pair %d", i).isEmpty();
        }
    }

    @Test
    void refusalsEndFiveSecondsAfterTheLastOne_andOtherFailuresDoNotCount() {
        advance(2_000);
        refusals.failed("ops", "read_only");
        assertThat(refusals.now()).contains("read_only");
        advance(4_999);
        assertThat(refusals.now()).contains("read_only");
        advance(1);
        assertThat(refusals.now()).as("5 s without sends").isEmpty();

        refusals.failed("ops", "timeout_unknown_outcome_not_a_refusal");
        assertThat(refusals.now()).isEqualTo(Optional.empty());
    }
}
