package io.tally.common.config;

/** How to reach Redis: one server, a Redis Cluster, or a master found through Sentinel. */
public enum RedisMode {
    STANDALONE, CLUSTER, SENTINEL
}
