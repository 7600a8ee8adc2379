package io.tally.app.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Locale;

/**
 * The exposition format of a {@code /metrics} answer, chosen from the scrape's {@code Accept} header:
 * OpenMetrics when the client lists {@code application/openmetrics-text} at least as high as
 * {@code text/plain} (Prometheus does, by default), else the Prometheus text format 0.0.4, which every
 * client reads. Both {@code /metrics} endpoints (processor and HTTP service) answer through this class.
 *
 * <p>The format is named explicitly to {@link PrometheusMeterRegistry#scrape(String)}, never the raw
 * header: a client that also accepts the protobuf format would otherwise get protobuf bytes in a string.
 */
public enum ScrapeFormat {
    /** OpenMetrics 1.0: {@code # EOF} at the end, {@code info} and {@code counter} families named without suffix. */
    OPEN_METRICS("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    /** Prometheus text format 0.0.4. */
    PROMETHEUS_TEXT("text/plain; version=0.0.4; charset=utf-8");

    private static final String OPEN_METRICS_TYPE = "application/openmetrics-text";
    private static final String TEXT_TYPE = "text/plain";

    private final String contentType;

    ScrapeFormat(String contentType) {
        this.contentType = contentType;
    }

    /** The {@code Content-Type} of an answer in this format. */
    public String contentType() {
        return contentType;
    }

    /** The registry's meters in this format. */
    public String scrape(PrometheusMeterRegistry registry) {
        return registry.scrape(contentType);
    }

    /**
     * The format for a request's {@code Accept} header (null or blank: none given). OpenMetrics needs to
     * be named with a quality above 0 and not below {@code text/plain}'s; wildcards alone get the text format.
     */
    public static ScrapeFormat negotiate(String accept) {
        if (accept == null || accept.isBlank()) {
            return PROMETHEUS_TEXT;
        }
        double openMetrics = 0;
        double text = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (type.equals(OPEN_METRICS_TYPE)) {
                openMetrics = Math.max(openMetrics, q);
            } else if (type.equals(TEXT_TYPE)) {
                text = Math.max(text, q);
            }
        }
        return openMetrics > 0 && openMetrics >= text ? OPEN_METRICS : PROMETHEUS_TEXT;
    }

    /** The {@code q} parameter of a media range: 1 when absent, 0 when unreadable (RFC 9110: 0 to 1). */
    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String param = parts[i].trim();
            if (param.length() > 2 && (param.charAt(0) == 'q' || param.charAt(0) == 'Q') && param.charAt(1) == '=') {
                try {
                    double q = Double.parseDouble(param.substring(2).trim());
                    return q >= 0 && q <= 1 ? q : 0;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
