package io.tally.common.internal.resp;

import javax.net.ssl.SSLSocketFactory;

/**
 * Where and how a {@link RespConnection} connects: address, TLS (a socket factory, null for plain
 * TCP), ACL user and password (both optional), and the timeout of connecting and of each reply.
 */
public record RespEndpoint(String host, int port, SSLSocketFactory tls, String user, String password,
                           int timeoutMs, String clientName) {
    /** The same endpoint with another connect and reply timeout. */
    public RespEndpoint withTimeoutMs(int ms) {
        return new RespEndpoint(host, port, tls, user, password, ms, clientName);
    }

    /** The same credentials, TLS, timeout and client name at another address (a cluster's other nodes). */
    public RespEndpoint at(String otherHost, int otherPort) {
        return new RespEndpoint(otherHost, otherPort, tls, user, password, timeoutMs, clientName);
    }

    /** The same endpoint under another CLIENT SETNAME. */
    public RespEndpoint named(String name) {
        return new RespEndpoint(host, port, tls, user, password, timeoutMs, name);
    }

    /** host:port, never the password: safe for logs and errors. */
    @Override
    public String toString() {
        return (tls != null ? "rediss://" : "redis://") + (user != null ? user + "@" : "") + host + ":" + port;
    }
}
