package io.tally.common.internal.keys;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class KeysTest {
    private final Keys keys = new Keys("ns");

    @Test
    void dedupeKeyNamesStreamRoutingKeyLengthRoutingKeyAndId() {
        assertThat(keys.dedupe(3, "ops", "orders", "req-42")).isEqualTo("ns:{p3}:dedupe:ops:6:orders:req-42");
        assertThat(keys.dedupe(3, "events", "é", "x")).isEqualTo("ns:{p3}:dedupe:events:2:é:x");
    }

    @Test
    void colonsInRoutingKeyOrIdNeverMakeTwoDedupeKeysMeet() {
        assertThat(keys.dedupe(0, "ops", "a:b", "c")).isNotEqualTo(keys.dedupe(0, "ops", "a", "b:c"));
        assertThat(keys.dedupe(0, "ops", "a", "x")).isNotEqualTo(keys.dedupe(0, "events", "a", "x"));
    }

    @Test
    void byteFormMatchesTheStringForm() {
        byte[] prefix = keys.dedupePrefix(5, "ops").getBytes(StandardCharsets.UTF_8);
        byte[] key = Keys.dedupe(prefix, "zähler".getBytes(StandardCharsets.UTF_8), "id:1".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(key, StandardCharsets.UTF_8)).isEqualTo(keys.dedupe(5, "ops", "zähler", "id:1"));
    }
}
