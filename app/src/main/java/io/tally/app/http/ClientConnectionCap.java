package io.tally.app.http;

import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.util.IO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@code maxPerClient} open connections from one remote address (an IPv6 one by its /64 network): one
 * more is closed as it is accepted,
 * before Jetty reads a byte of it, so a client past its cap costs the service no thread, no buffer and no share of
 * the connector's own cap, and another address still gets connections. Refusing with a 429 or 503 instead would
 * mean reading the request first, which a client holding slow headers would never let happen. A listener of the
 * connector's accepts (add it as a bean of the connector before it starts), like Jetty's
 * {@link org.eclipse.jetty.server.NetworkConnectionLimit}, which closes its extra connections the same way.
 */
public final class ClientConnectionCap implements SelectorManager.AcceptListener {
    private static final Logger log = LoggerFactory.getLogger(ClientConnectionCap.class);

    private final int maxPerClient;
    /** Open connections per remote address; an address with none has no entry. */
    private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();
    /** The address each counted connection was counted under, so that only those are counted down. */
    private final Map<SelectableChannel, InetAddress> counted = new ConcurrentHashMap<>();

    public ClientConnectionCap(int maxPerClient) {
        this.maxPerClient = maxPerClient;
    }

    @Override
    public void onAccepting(SelectableChannel channel) {
        InetAddress client = remoteAddress(channel);
        if (client == null) {
            return; // closed already (by the connector's own cap): Jetty ends its accept
        }
        boolean[] admitted = {false};
        open.compute(client, (address, n) -> {
            int now = n == null ? 0 : n;
            admitted[0] = now < maxPerClient;
            return admitted[0] ? now + 1 : n;
        });
        if (admitted[0]) {
            counted.put(channel, client);
        } else {
            log.debug("connection from {} closed: it has {} open, the most one address may (per-client cap)", client,
                    maxPerClient);
            IO.close(channel); // Jetty then fails the accept and calls onAcceptFailed
        }
    }

    @Override
    public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
        release(channel);
    }

    @Override
    public void onClosed(SelectableChannel channel) {
        release(channel);
    }

    private void release(SelectableChannel channel) {
        InetAddress client = counted.remove(channel);
        if (client != null) {
            open.computeIfPresent(client, (address, n) -> n <= 1 ? null : n - 1);
        }
    }

    private static InetAddress remoteAddress(SelectableChannel channel) {
        try {
            if (channel instanceof SocketChannel socket
                    && socket.getRemoteAddress() instanceof InetSocketAddress remote) {
                return client(remote.getAddress());
            }
        } catch (IOException closed) {
            // fall through: nothing to count
        }
        return null;
    }

    /**
     * Whom a remote address counts for: itself, or for IPv6 its /64 network. One IPv6 host usually holds a
     * whole /64 and may pick a new source address in it for every connection, which would give it a cap per
     * connection instead of one.
     */
    static InetAddress client(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address; // IPv4, including the IPv4-mapped form, which Java returns as Inet4Address
        }
        byte[] network = Arrays.copyOf(address.getAddress(), 16);
        Arrays.fill(network, 8, 16, (byte) 0);
        try {
            return InetAddress.getByAddress(network);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // 16 bytes are always an IPv6 address
        }
    }
}
