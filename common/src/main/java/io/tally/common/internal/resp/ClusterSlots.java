package io.tally.common.internal.resp;

import io.tally.common.internal.keys.HashSlot;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Which master serves each hash slot, as one node answered {@code CLUSTER SLOTS}: each master's address
 * as the cluster announces it (an empty address means the node that answered). Immutable; a slot no
 * master serves maps to null.
 */
public final class ClusterSlots {
    private final String[] masterOfSlot;

    private ClusterSlots(String[] masterOfSlot) {
        this.masterOfSlot = masterOfSlot;
    }

    /** The master serving a slot as host:port, or null while none does. */
    public String masterOf(int slot) {
        return masterOfSlot[slot];
    }

    /** Every master that serves at least one slot, as host:port. */
    public List<String> masters() {
        return Arrays.stream(masterOfSlot).filter(m -> m != null).distinct().toList();
    }

    /** Asks one node over a connection of its own (closed after), waiting at most the endpoint's timeout. */
    public static ClusterSlots read(RespEndpoint node) throws IOException {
        try (RespConnection c = RespConnection.open(node)) {
            Object reply = c.send(RespConnection.encode("CLUSTER", "SLOTS"), RespReader::object)
                    .get(node.timeoutMs(), TimeUnit.MILLISECONDS);
            return parse(reply, node.host());
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no CLUSTER SLOTS reply from " + node + " within " + node.timeoutMs() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + node + " for the slot map");
        }
    }

    /**
     * Parses a {@code CLUSTER SLOTS} reply: per range, start, end, then the master's [ip, port, id, ...]
     * and its replicas.
     *
     * @param answeredBy the host of the node that answered: stands in for an empty or unknown address
     */
    static ClusterSlots parse(Object reply, String answeredBy) throws IOException {
        if (!(reply instanceof List<?> ranges)) {
            throw new RespProtocolException("CLUSTER SLOTS: expected an array, got " + reply);
        }
        String[] map = new String[HashSlot.SLOTS];
        for (Object r : ranges) {
            List<?> range = (List<?>) r;
            int from = ((Long) range.get(0)).intValue();
            int to = ((Long) range.get(1)).intValue();
            List<?> master = (List<?>) range.get(2);
            String host = String.valueOf(master.get(0));
            if (host.isEmpty() || "?".equals(host) || "null".equals(host)) {
                host = answeredBy;
            }
            String address = host + ":" + master.get(1);
            Arrays.fill(map, from, to + 1, address);
        }
        return new ClusterSlots(map);
    }

    /** Slot ranges per master, for logs. */
    @Override
    public String toString() {
        Map<String, List<String>> byMaster = new LinkedHashMap<>();
        int start = 0;
        for (int s = 1; s <= HashSlot.SLOTS; s++) {
            if (s == HashSlot.SLOTS || !java.util.Objects.equals(masterOfSlot[s], masterOfSlot[start])) {
                if (masterOfSlot[start] != null) {
                    byMaster.computeIfAbsent(masterOfSlot[start], k -> new ArrayList<>())
                            .add(start == s - 1 ? Integer.toString(start) : start + "-" + (s - 1));
                }
                start = s;
            }
        }
        return byMaster.toString();
    }
}
