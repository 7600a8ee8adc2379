package io.tally.common.internal.resp;

import io.tally.common.internal.concurrent.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link RespConnector} per master of a Redis Cluster, and the slot map that says which master
 * serves a slot ({@link ClusterSlots}, read from any node that answers: the known masters first, then
 * the configured seeds). The map is refreshed on request ({@link #refreshSoon()}, after a redirect or a
 * lost connection), in the background and at most once per {@value #MIN_REFRESH_GAP_MS} ms, so a
 * caller never waits for it; a master that no longer serves any slot loses its connection.
 */
public final class RespClusterConnectors implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RespClusterConnectors.class);
    static final long MIN_REFRESH_GAP_MS = 200;
    private static final String MAP_CLIENT_NAME = "tally-slots";

    private final List<RespEndpoint> seeds;
    private final RespEndpoint template;
    private final int masterTimeoutMs;
    private final Map<String, RespConnector> connectors = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refreshing = DaemonThreads.scheduler("tally-slot-map");
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final AtomicLong refreshes = new AtomicLong();
    private volatile ClusterSlots slots;
    private volatile long lastRefreshNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(MIN_REFRESH_GAP_MS);

    /** @param seeds nodes to ask for the slot map; the first one's TLS, credentials, timeout and name serve all */
    public RespClusterConnectors(List<RespEndpoint> seeds) {
        this(seeds, seeds.isEmpty() ? 0 : seeds.get(0).timeoutMs());
    }

    /**
     * @param seeds nodes to ask for the slot map; the first one's TLS, credentials, timeout and name serve all
     * @param masterTimeoutMs connect and reply timeout of the masters' connections (the slot map reads keep
     *                        the seeds' own, so that a silent node delays a refresh no longer than that)
     */
    public RespClusterConnectors(List<RespEndpoint> seeds, int masterTimeoutMs) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no cluster seed");
        }
        this.seeds = List.copyOf(seeds);
        this.template = seeds.get(0);
        this.masterTimeoutMs = masterTimeoutMs;
    }

    /** Reads the slot map now, on the caller's thread; false when no node answered (a refresh is then queued). */
    public boolean refreshNow() {
        if (refresh()) {
            return true;
        }
        refreshSoon();
        return false;
    }

    /** Queues a refresh of the slot map, unless one is queued already; runs no sooner than the gap allows. */
    public void refreshSoon() {
        if (!refreshQueued.compareAndSet(false, true)) {
            return;
        }
        long waitNanos = lastRefreshNanos + TimeUnit.MILLISECONDS.toNanos(MIN_REFRESH_GAP_MS) - System.nanoTime();
        try {
            refreshing.schedule(() -> {
                refreshQueued.set(false);
                if (!refresh()) {
                    refreshSoon(); // no node answered: keep trying while the caller keeps failing, gap apart
                }
            }, Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            refreshQueued.set(false);
        }
    }

    /** The connector to the master serving a slot, or null while the map names none. */
    public RespConnector forSlot(int slot) {
        ClusterSlots map = slots;
        String master = map == null ? null : map.masterOf(slot);
        return master == null ? null : connectors.computeIfAbsent(master, this::connectorFor);
    }

    /** The connectors open now, one per master used so far. */
    public Collection<RespConnector> connectors() {
        return List.copyOf(connectors.values());
    }

    /** Slot map reads that succeeded so far. */
    public long refreshes() {
        return refreshes.get();
    }

    /** The current slot map; null before the first successful read. */
    public ClusterSlots slots() {
        return slots;
    }

    private RespConnector connectorFor(String address) {
        return new RespConnector(endpointOf(address).withTimeoutMs(masterTimeoutMs));
    }

    /** A master's host:port with the seeds' TLS, credentials, timeout and client name. */
    private RespEndpoint endpointOf(String address) {
        int colon = address.lastIndexOf(':');
        return template.at(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    }

    private synchronized boolean refresh() {
        lastRefreshNanos = System.nanoTime();
        Set<RespEndpoint> candidates = new LinkedHashSet<>();
        ClusterSlots old = slots;
        if (old != null) {
            old.masters().forEach(m -> candidates.add(endpointOf(m)));
        }
        candidates.addAll(seeds);
        List<String> failures = new ArrayList<>();
        for (RespEndpoint node : candidates) {
            try {
                ClusterSlots fresh = ClusterSlots.read(node.named(MAP_CLIENT_NAME));
                if (fresh.masters().isEmpty()) {
                    failures.add(node + ": serves no slot map yet");
                    continue;
                }
                install(old, fresh);
                return true;
            } catch (IOException | RuntimeException e) {
                failures.add(node + ": " + e.getMessage());
            }
        }
        log.warn("no cluster node answered CLUSTER SLOTS: {}", failures);
        return false;
    }

    private void install(ClusterSlots old, ClusterSlots fresh) {
        slots = fresh;
        refreshes.incrementAndGet();
        String before = old == null ? null : old.toString();
        String after = fresh.toString();
        if (!after.equals(before)) {
            log.info("cluster slot map: {}", after);
        }
        List<String> masters = fresh.masters();
        connectors.entrySet().removeIf(e -> {
            if (masters.contains(e.getKey())) {
                return false;
            }
            e.getValue().close();
            return true;
        });
    }

    @Override
    public void close() {
        refreshing.shutdownNow();
        connectors.values().forEach(RespConnector::close);
        connectors.clear();
    }
}
