package io.tally.common.internal.keys;

import io.tally.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeysTest {
    private final Keys keys = new Keys("ns", PartitionTags.legacy());

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

    @Test
    void writtenInPlace_theByteFormIsTheSame_forRoutingKeysOfOneToThreeDigitLengths() {
        byte[] prefix = keys.dedupePrefix(5, "ops").getBytes(StandardCharsets.UTF_8);
        byte[] id = "id:1".getBytes(StandardCharsets.UTF_8);
        for (String routingKey : new String[]{"c", "c".repeat(9), "c".repeat(10), "ü".repeat(50), "c".repeat(200)}) {
            byte[] key = routingKey.getBytes(StandardCharsets.UTF_8);
            byte[] into = new byte[3 + Keys.dedupeLength(prefix, key, id) + 2];
            int end = Keys.writeDedupe(into, 3, prefix, key, id);
            assertThat(end).isEqualTo(into.length - 2);
            assertThat(new String(into, 3, end - 3, StandardCharsets.UTF_8)).as(routingKey)
                    .isEqualTo(keys.dedupe(5, "ops", routingKey, "id:1"));
            assertThat(into).startsWith(0, 0, 0).endsWith(0, 0);
        }
        byte[] field = new byte[Keys.dedupeLength(new byte[0], "ab".getBytes(StandardCharsets.UTF_8), id)];
        Keys.writeDedupe(field, 0, new byte[0], "ab".getBytes(StandardCharsets.UTF_8), id);
        assertThat(new String(field, StandardCharsets.UTF_8)).isEqualTo("2:ab:id:1");
    }

    @Test
    void spreadTagsAreTheFirstCandidateOnTheMiddleSlotOfThePartitionsRange() {
        int partitions = 24;
        PartitionTags tags = PartitionTags.spread(partitions);
        Keys spread = new Keys("ns", tags);
        for (int p = 0; p < partitions; p++) {
            String tag = tags.tag(p);
            assertThat(tag).startsWith("p" + p + "-");
            int k = Integer.parseInt(tag.substring(tag.indexOf('-') + 1));
            int target = (2 * p + 1) * HashSlot.SLOTS / (2 * partitions);
            assertThat(HashSlot.ofTag(tag)).as(tag).isEqualTo(target).isEqualTo(PartitionTags.targetSlot(p, partitions));
            for (int earlier = 0; earlier < k; earlier++) {
                assertThat(HashSlot.ofTag("p" + p + "-" + earlier)).as("p%d-%d", p, earlier).isNotEqualTo(target);
            }
            assertThat(spread.counters(p)).isEqualTo("ns:{" + tag + "}:counters");
            assertThat(spread.dedupePrefix(p, "ops")).isEqualTo("ns:{" + tag + "}:dedupe:ops:");
        }
        assertThat(tags.tag(0)).isEqualTo("p0-63865"); // pinned: any other language must compute the same
        assertThat(tags.tag(23)).isEqualTo("p23-58497");
    }

    @Test
    void metaWithoutTheFieldKeepsTagsP_i_andAnUnknownRuleIsRefused() {
        assertThat(PartitionTags.of(null, 8, "ns", "ns:meta").tag(7)).isEqualTo("p7");
        assertThat(PartitionTags.of("spread-v1", 8, "ns", "ns:meta").tag(7)).isEqualTo(PartitionTags.spread(8).tag(7));
        assertThatThrownBy(() -> PartitionTags.of("spread-v2", 8, "ns", "ns:meta"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("spread-v2").hasMessageContaining("partition-tags").hasMessageContaining("ns:meta");
    }

    @Test
    void dedupeBucketsNameStreamWindowAndBucket_andMetaWithoutTheLayoutKeepsAKeyPerId() {
        assertThat(keys.dedupeBucketPrefix(3, "ops", 600_000) + 2994302).isEqualTo("ns:{p3}:dedupe-ids:ops:600000:2994302");
        assertThat(DedupeLayout.of(null, "ns", "ns:meta")).isEqualTo(DedupeLayout.KEY_PER_ID);
        assertThat(DedupeLayout.of("buckets-v1", "ns", "ns:meta")).isEqualTo(DedupeLayout.BUCKETS_V1);
        assertThatThrownBy(() -> DedupeLayout.of("buckets-v2", "ns", "ns:meta"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("buckets-v2").hasMessageContaining("dedupe").hasMessageContaining("ns:meta");
    }

    @Test
    void hashSlotIsRedisCrc16() {
        // the check value of CRC-16/XMODEM, and the slot Redis documents for key "123456789"
        assertThat(HashSlot.crc16("123456789".getBytes(StandardCharsets.US_ASCII))).isEqualTo(0x31C3);
        assertThat(HashSlot.ofTag("123456789")).isEqualTo(0x31C3 % 16384);
    }
}
