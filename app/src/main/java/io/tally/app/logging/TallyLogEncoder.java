package io.tally.app.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;

import java.util.List;
import java.util.Locale;

/**
 * Encodes log lines as text ({@link #setPattern pattern}) or, with {@code format} {@code json}, as one
 * JSON object a line: {@code timestamp}, {@code level}, {@code logger}, {@code thread},
 * {@code message}, the MDC fields {@code processor}, {@code partition} and {@code requestId} (the HTTP
 * service's), and {@code exception}.
 * One appender with a switchable encoder (rather than two appenders) keeps Logback from printing
 * status lines about an unused appender into a JSON stream; an unknown format falls back to text
 * with a warning.
 */
public final class TallyLogEncoder extends EncoderBase<ILoggingEvent> {
    /** MDC keys copied into JSON lines. */
    public static final List<String> MDC_KEYS = List.of("processor", "partition", "requestId");

    private String format = "text";
    private String pattern = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";
    private Encoder<ILoggingEvent> delegate;

    /** {@code text} (default) or {@code json}, case-insensitive. */
    public void setFormat(String format) {
        this.format = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
    }

    /** The Logback pattern of text lines. */
    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    public String format() {
        return format;
    }

    @Override
    public void start() {
        if (format.equals("json")) {
            delegate = json();
        } else {
            if (!format.isEmpty() && !format.equals("text")) {
                addWarn("Unknown log format '" + format + "' (TALLY_LOG_FORMAT); use text or json. Logging text.");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(getContext());
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.start();
        super.start();
    }

    private Encoder<ILoggingEvent> json() {
        LogstashEncoder json = new LogstashEncoder();
        json.setContext(getContext());
        MDC_KEYS.forEach(json::addIncludeMdcKeyName);
        LogstashFieldNames names = new LogstashFieldNames();
        names.setTimestamp("timestamp");
        names.setLogger("logger");
        names.setThread("thread");
        names.setStackTrace("exception");
        names.setVersion("[ignore]");
        names.setLevelValue("[ignore]");
        json.setFieldNames(names);
        return json;
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
