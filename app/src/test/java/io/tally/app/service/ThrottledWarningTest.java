package io.tally.app.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

import static org.assertj.core.api.Assertions.assertThat;

class ThrottledWarningTest {
    private final Logger log = (Logger) LoggerFactory.getLogger("throttled-warning-test");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final InstantSource clock = () -> now;
    private final ThrottledWarning warning = new ThrottledWarning(log, Duration.ofSeconds(10), clock);

    @BeforeEach
    void capture() {
        lines.start();
        log.addAppender(lines);
    }

    @AfterEach
    void release() {
        log.detachAppender(lines);
    }

    @Test
    void theFirstIsLogged_thenAtMostOnePerInterval_sayingHowManyWereLeftOutSince() {
        warning.warn("request {} answered {}", "r1", 503);
        for (int i = 2; i <= 1235; i++) {
            now = now.plusMillis(5);
            warning.warn("request {} answered {}", "r" + i, 503); // 1234 within 10 s of the first: left out
        }
        assertThat(messages()).containsExactly("request r1 answered 503");

        now = Instant.parse("2026-01-01T00:00:10Z");
        warning.warn("request {} answered {}", "r1236", 503);
        warning.warn("request {} answered {}", "r1237", 503);
        assertThat(messages()).containsExactly("request r1 answered 503",
                "request r1236 answered 503 (1234 more since)");
        assertThat(lines.list).allSatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.WARN));

        now = now.plusSeconds(60); // a quiet minute: the next is logged at once, with the one left out before it
        warning.warn("request {} answered {}", "r1238", 503);
        assertThat(messages()).last().isEqualTo("request r1238 answered 503 (1 more since)");
        now = now.plusSeconds(10);
        warning.warn("request {} answered {}", "r1239", 503);
        assertThat(messages()).last().isEqualTo("request r1239 answered 503");
    }

    private java.util.List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
