package io.tally.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TallyLogEncoderTest {
    private final LoggerContext context = new LoggerContext();

    @Test
    void json_writesOneObjectALineWithMdcAndException() throws Exception {
        TallyLogEncoder encoder = encoder("JSON");
        LoggingEvent event = new LoggingEvent("x", context.getLogger("io.tally.Test"), Level.WARN,
                "partition {} stopped", new IllegalStateException("boom"), new Object[] {7});
        event.setMDCPropertyMap(Map.of("processor", "proc-1:abc", "partition", "7", "other", "dropped"));

        String line = new String(encoder.encode(event), StandardCharsets.UTF_8);

        assertThat(line).endsWith("\n").doesNotContain("\n{");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.path("message").asText()).isEqualTo("partition 7 stopped");
        assertThat(json.path("level").asText()).isEqualTo("WARN");
        assertThat(json.path("logger").asText()).isEqualTo("io.tally.Test");
        assertThat(json.path("timestamp").asText()).isNotEmpty();
        assertThat(json.path("processor").asText()).isEqualTo("proc-1:abc");
        assertThat(json.path("partition").asText()).isEqualTo("7");
        assertThat(json.has("other")).isFalse();
        assertThat(json.path("exception").asText()).contains("IllegalStateException: boom");
    }

    @Test
    void unknownFormat_fallsBackToText() {
        TallyLogEncoder encoder = encoder("xml");
        LoggingEvent event = new LoggingEvent("x", context.getLogger("t"), Level.INFO, "hello", null, null);

        assertThat(new String(encoder.encode(event), StandardCharsets.UTF_8)).contains("INFO").contains("hello")
                .doesNotStartWith("{");
        assertThat(context.getStatusManager().getCopyOfStatusList())
                .anySatisfy(s -> assertThat(s.getMessage()).contains("Unknown log format 'xml'"));
    }

    private TallyLogEncoder encoder(String format) {
        TallyLogEncoder encoder = new TallyLogEncoder();
        encoder.setContext(context);
        encoder.setFormat(format);
        encoder.start();
        return encoder;
    }
}
