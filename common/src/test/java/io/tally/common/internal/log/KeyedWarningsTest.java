package io.tally.common.internal.log;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class KeyedWarningsTest {

    @Test
    void eachSubjectIsLoggedAtOnce_thenOncePerInterval_andAgainAtOnceAfterItsFaultCleared() {
        Logger log = (Logger) LoggerFactory.getLogger("KeyedWarningsTest");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        AtomicLong nanos = new AtomicLong(1_000);
        KeyedWarnings warnings = new KeyedWarnings(log, 60_000, nanos::get);

        assertThat(warnings.warn("a", "key {} broken", "a")).isTrue();
        assertThat(warnings.warn("a", "key {} broken", "a")).isFalse();
        assertThat(warnings.warn("b", "key {} broken", "b")).isTrue();
        nanos.addAndGet(59_999_000_000L);
        assertThat(warnings.warn("a", "key {} broken", "a")).isFalse();
        nanos.addAndGet(1_000_000L);
        assertThat(warnings.warn("a", "key {} broken", "a")).isTrue();
        warnings.clear("b");
        assertThat(warnings.warn("b", "key {} broken", "b")).isTrue();

        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("key a broken", "key b broken", "key a broken", "key b broken");
    }
}
