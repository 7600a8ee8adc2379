package io.tally.testkit;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Poll#await}: polls until the check has no reason left, else fails with its last one. */
class PollTest {

    @Test
    void returnsOnceTheCheckHasNoReasonLeft() {
        AtomicInteger calls = new AtomicInteger();
        Poll.await(() -> calls.incrementAndGet() < 3 ? "not yet " + calls.get() : null, 5, "never");
        assertThat(calls).hasValue(3);
    }

    @Test
    void failsAfterTheTimeoutWithTheLastReason() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Poll.await(() -> "reason " + calls.incrementAndGet(), 1, "cluster not healthy"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("cluster not healthy after 1 s: reason " + calls.get());
        assertThat(calls.get()).isBetween(2, 11);
    }
}
