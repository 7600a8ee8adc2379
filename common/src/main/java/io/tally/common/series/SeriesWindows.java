package io.tally.common.series;

import io.tally.common.model.InvalidEntryException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The windows a namespace allows, parsed from the {@code series-windows} setting
 * ({@code 1m=48h,1h=90d,1d=730d}: window name = retention). The processor passes them to the apply
 * script, which dead-letters an entry naming any other window.
 */
public final class SeriesWindows {
    /** Default: per minute kept 48 h, per hour kept 90 days, per day kept 2 years. */
    public static final String DEFAULT = "1m=48h,1h=90d,1d=730d";
    /** Most windows one entry may name. */
    public static final int MAX_PER_ENTRY = 8;

    private final Map<String, SeriesWindow> byName;
    private final String spec;

    private SeriesWindows(Map<String, SeriesWindow> byName, String spec) {
        this.byName = Collections.unmodifiableMap(byName);
        this.spec = spec;
    }

    /**
     * Parses {@code name=retention,...}.
     *
     * @param spec the setting, e.g. {@code 1m=48h,1h=90d}
     * @return the windows
     * @throws IllegalArgumentException naming the broken part
     */
    public static SeriesWindows parse(String spec) {
        Map<String, SeriesWindow> windows = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String item = part.trim();
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + item + "' is not window=retention (e.g. 1m=48h)");
            }
            String name = item.substring(0, eq).trim();
            SeriesWindow w = SeriesWindow.of(name, SeriesWindow.parseDuration(item.substring(eq + 1).trim()));
            if (w.retentionMs() < w.lengthMs()) {
                throw new IllegalArgumentException("retention of window " + name + " is shorter than the window");
            }
            if (windows.put(name, w) != null) {
                throw new IllegalArgumentException("window " + name + " is listed twice");
            }
        }
        if (windows.isEmpty()) {
            throw new IllegalArgumentException("at least one window is needed");
        }
        return new SeriesWindows(windows, spec.replace(" ", ""));
    }

    /**
     * The window of that name.
     *
     * @param name e.g. {@code 1m}
     * @return the window, or null when it is not allowed
     */
    public SeriesWindow get(String name) {
        return byName.get(name);
    }

    /**
     * Every allowed window, in the order of the setting.
     *
     * @return the windows
     */
    public List<SeriesWindow> all() {
        return new ArrayList<>(byName.values());
    }

    /**
     * The window names, for messages.
     *
     * @return the names, comma-separated ({@code 1m, 1h, 1d})
     */
    public String names() {
        return String.join(", ", byName.keySet());
    }

    /**
     * Checks, before a send, that every window an entry names is one of these: the processors dead-letter
     * an entry naming another (reason {@code bad_windows}), after the sender was told it was accepted.
     *
     * @param field   the request field or option that named them, for the message
     * @param windows window names, as parsed by {@link io.tally.common.internal.wire.WireFormat#parseWindows}
     * @throws InvalidEntryException (reason {@code bad_windows}) naming the first unknown window and the configured ones
     */
    public void requireConfigured(String field, List<String> windows) {
        for (String w : windows) {
            if (!byName.containsKey(w)) {
                throw new InvalidEntryException("bad_windows", field, "window '" + w + "' is not configured; "
                        + "configured windows: " + names() + " (series-windows)");
            }
        }
    }

    /**
     * The form the apply script reads from ARGV.
     *
     * @return {@code name:lengthMs:retentionMs,...}
     */
    public String scriptArg() {
        StringBuilder sb = new StringBuilder();
        for (SeriesWindow w : byName.values()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(w.name()).append(':').append(w.lengthMs()).append(':').append(w.retentionMs());
        }
        return sb.toString();
    }

    /** The setting as given: {@code name=retention,...}. */
    @Override
    public String toString() {
        return spec;
    }
}
