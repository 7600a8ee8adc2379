package io.tally.processor.trigger;

import io.tally.common.internal.keys.Keys;
import io.tally.common.trigger.Firing;
import org.redisson.api.RStream;
import org.redisson.api.RedissonClient;
import org.redisson.api.stream.StreamMessageId;
import org.redisson.api.stream.StreamRangeArgs;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Reads every firing of every partition straight from the firings streams, page by page. */
final class FiringsLog {
    private static final int PAGE = 5_000;
    private static final Comparator<StreamMessageId> BY_ID =
            Comparator.comparingLong(StreamMessageId::getId0).thenComparingLong(StreamMessageId::getId1);

    private FiringsLog() {
    }

    /** All firings, in stream order per partition, partitions in order. */
    static List<Firing> all(RedissonClient redis, Keys keys, int partitions) {
        List<Firing> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            RStream<String, String> stream = redis.getStream(keys.firings(p), StringCodec.INSTANCE);
            StreamMessageId from = StreamMessageId.MIN;
            while (true) {
                Map<StreamMessageId, Map<String, String>> page = stream.range(
                        StreamRangeArgs.startId(from).endId(StreamMessageId.MAX).count(PAGE));
                // The range comes back as a map without a guaranteed order: sort by entry id.
                List<Map.Entry<StreamMessageId, Map<String, String>>> sorted = new ArrayList<>(page.entrySet());
                sorted.sort(Map.Entry.comparingByKey(BY_ID));
                for (Map.Entry<StreamMessageId, Map<String, String>> e : sorted) {
                    out.add(Firing.fromFields(p, e.getKey().toString(), e.getValue()));
                }
                if (sorted.size() < PAGE) {
                    break;
                }
                StreamMessageId last = sorted.get(sorted.size() - 1).getKey();
                from = new StreamMessageId(last.getId0(), last.getId1() + 1);
            }
        }
        return out;
    }
}
