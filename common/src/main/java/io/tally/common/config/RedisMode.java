package io.tally.common.config;

/** How to reach Redis: one server, a Redis Cluster, or a master found through Sentinel. */
public enum RedisMode {
    /** One Redis server (a master, possibly with replicas it does not fail over to). */
    STANDALONE,
    /** A Redis Cluster: {@code redis-url} lists seed nodes. */
    CLUSTER,
    /** A master found through Sentinel: {@code redis-url} lists the sentinels. */
    SENTINEL
}
