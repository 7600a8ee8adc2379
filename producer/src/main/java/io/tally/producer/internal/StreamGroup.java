package io.tally.producer.internal;

import org.redisson.api.RFuture;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sends of one pipeline that go to one stream, in send order: they leave as one
 * {@code send_batch.lua} call (KEYS: the stream, then the dedupe keys of the sends that have an id),
 * so a pipeline costs one command per partition and stream rather than one per send.
 */
final class StreamGroup {
    final String stream;
    final List<PendingSend> sends = new ArrayList<>();
    RFuture<List<Object>> reply;

    private StreamGroup(String stream) {
        this.stream = stream;
    }

    /** Groups a pipeline's sends by stream, keeping their order within each stream. */
    static List<StreamGroup> byStream(List<PendingSend> sends) {
        Map<String, StreamGroup> groups = new LinkedHashMap<>();
        for (PendingSend send : sends) {
            groups.computeIfAbsent(send.stream, StreamGroup::new).sends.add(send);
        }
        return new ArrayList<>(groups.values());
    }

    List<Object> keys() {
        List<Object> keys = new ArrayList<>(1 + sends.size());
        keys.add(stream);
        for (PendingSend send : sends) {
            if (send.idempotent()) {
                keys.add(send.dedupeKey);
            }
        }
        return keys;
    }

    Object[] argv(String dedupeWindowMs) {
        List<Object> argv = new ArrayList<>(2 + sends.size() * 10);
        argv.add(dedupeWindowMs);
        argv.add(sends.size());
        for (PendingSend send : sends) {
            argv.add(send.fields.size());
            argv.add(send.idempotent() ? "1" : "0");
            send.fields.forEach((field, value) -> {
                argv.add(field);
                argv.add(value);
            });
        }
        return argv.toArray();
    }
}
