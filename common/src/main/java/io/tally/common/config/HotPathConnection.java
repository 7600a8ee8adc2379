package io.tally.common.config;

/** How the hot paths talk to a standalone Redis (see {@code hot-path-connection}). */
public enum HotPathConnection {
    /** A connection of their own, with a parser that reads replies straight from the socket buffer. */
    DIRECT,
    /** The Redisson client. */
    REDISSON
}
