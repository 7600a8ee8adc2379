package io.tally.app.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SparklineTest {
    @Test
    void scalesFromZeroOrTheMinimumToTheMaximum() {
        assertThat(SeriesCommands.sparkline(new long[]{0, 1, 2, 3, 4, 5, 6, 7})).isEqualTo("▁▂▃▄▅▆▇█");
        assertThat(SeriesCommands.sparkline(new long[]{10, 0, 35, 0})).isEqualTo("▃▁█▁");
        assertThat(SeriesCommands.sparkline(new long[]{-7, 0, 7})).isEqualTo("▁▅█");
        assertThat(SeriesCommands.sparkline(new long[]{0, 0, 0})).isEqualTo("▁▁▁");
        assertThat(SeriesCommands.sparkline(new long[]{Long.MIN_VALUE, Long.MAX_VALUE})).isEqualTo("▁█");
        assertThat(SeriesCommands.sparkline(new long[0])).isEmpty();
    }
}
