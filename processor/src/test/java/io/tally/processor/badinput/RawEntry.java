package io.tally.processor.badinput;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream entry as raw bytes, written straight into a partition's stream by a test (not through the
 * producer): field names and values may be any bytes, fields may repeat (the last one wins, as in the
 * apply script).
 */
record RawEntry(String topic, List<byte[]> fields) {

    static Builder ops() {
        return new Builder("ops");
    }

    static Builder events() {
        return new Builder("events");
    }

    /** Field name -> value, last duplicate winning. */
    Map<String, byte[]> map() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            m.put(new String(fields.get(i), StandardCharsets.UTF_8), fields.get(i + 1));
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(topic).append('{');
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            b.append(show(fields.get(i))).append('=').append(show(fields.get(i + 1))).append(", ");
        }
        return b.append('}').toString();
    }

    private static String show(byte[] v) {
        String s = new String(v, StandardCharsets.UTF_8);
        return s.length() > 40 ? s.substring(0, 40) + "...(" + v.length + " bytes)" : s;
    }

    static final class Builder {
        private final String topic;
        private final List<byte[]> fields = new ArrayList<>();

        Builder(String topic) {
            this.topic = topic;
        }

        Builder field(String name, String value) {
            return field(name, value.getBytes(StandardCharsets.UTF_8));
        }

        Builder field(String name, byte[] value) {
            fields.add(name.getBytes(StandardCharsets.UTF_8));
            fields.add(value);
            return this;
        }

        Builder rawField(byte[] name, byte[] value) {
            fields.add(name);
            fields.add(value);
            return this;
        }

        /**
         * The entry; one with no field at all gets an unknown one, since XADD cannot write an entry
         * without fields (it still lacks every field the rules ask for).
         */
        RawEntry build() {
            if (fields.isEmpty()) {
                rawField("note".getBytes(StandardCharsets.UTF_8), new byte[0]);
            }
            return new RawEntry(topic, List.copyOf(fields));
        }
    }
}
