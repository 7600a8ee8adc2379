package io.tally.app.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code --duration} that is no usable number of seconds is refused with exit 2 before anything is sent,
 * instead of a run that ends at once ("sent 0", exit 0): NaN passed the old {@code > 0} check, and a
 * duration past 292 years overflowed the deadline in nanoseconds.
 */
class LoadgenOptionsTest {

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "1e12", "-1", "0"})
    void aDurationThatIsNoUsableNumberOfSeconds_isRefused(String duration) {
        // no Redis is needed: the options are checked first (port 1 answers nothing)
        TallyCliTest.Run run = TallyCliTest.run("loadgen", "--redis-url", "redis://127.0.0.1:1", "--duration", duration);
        assertThat(run.code()).as(run.out() + run.err()).isEqualTo(Cli.USAGE);
        assertThat(run.err()).contains("--duration").doesNotContain("\tat ");
        assertThat(run.out()).doesNotContain("sent");
    }
}
