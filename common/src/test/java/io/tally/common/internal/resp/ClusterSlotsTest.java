package io.tally.common.internal.resp;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterSlotsTest {
    @Test
    void mapParsesClusterSlotsAndFallsBackToTheAnsweringHost() throws Exception {
        ClusterSlots map = ClusterSlots.parse(List.of(
                List.of(0L, 5460L, List.of("10.0.0.1", 7000L, "id1"), List.of("10.0.0.4", 7003L, "id4")),
                List.of(5461L, 10922L, List.of("", 7001L, "id2")),
                List.of(10923L, 16383L, List.of("10.0.0.3", 7002L, "id3"))), "seed-host");
        assertThat(map.masterOf(0)).isEqualTo("10.0.0.1:7000");
        assertThat(map.masterOf(5460)).isEqualTo("10.0.0.1:7000");
        assertThat(map.masterOf(5461)).isEqualTo("seed-host:7001");
        assertThat(map.masterOf(16383)).isEqualTo("10.0.0.3:7002");
        assertThat(map.masters()).containsExactly("10.0.0.1:7000", "seed-host:7001", "10.0.0.3:7002");
    }

    @Test
    void unservedSlotsHaveNoMaster() throws Exception {
        ClusterSlots map = ClusterSlots.parse(List.of(List.of(100L, 200L, List.of("h", 1L, "id"))), "seed");
        assertThat(map.masterOf(99)).isNull();
        assertThat(map.masterOf(150)).isEqualTo("h:1");
        assertThat(map.toString()).isEqualTo("{h:1=[100-200]}");
    }
}
