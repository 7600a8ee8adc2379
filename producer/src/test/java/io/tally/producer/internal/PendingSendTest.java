package io.tally.producer.internal;

import io.tally.common.internal.keys.DedupeLayout;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.PartitionTags;
import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A send with an operation id writes its dedupe key or field in place, into its packed values: the bytes
 * are those of {@link StreamKeys#dedupe} packed after the digest, in either dedupe layout.
 */
class PendingSendTest {

    @Test
    void aSendWithAnId_packsItsDedupeKeyOrFieldAsStreamKeysBuildsIt() {
        for (DedupeLayout layout : DedupeLayout.values()) {
            StreamKeys keys = new StreamKeys(new Keys("ns", PartitionTags.spread(4)), 4, layout, 60_000);
            List<Object> entries = List.of(CounterOp.incr("page", 7).withId("op-1").withTs(5),
                    CounterOp.unique("ü".repeat(100), "m").withWindows("1m").withId("i".repeat(200)),
                    CounterOp.set("c".repeat(12), -1).withId("x"),
                    new Event("signup", Map.of("plan", "x".repeat(300)), "e-1", 9L));
            for (Object entry : entries) {
                int topic = entry instanceof Event ? StreamKeys.EVENTS : StreamKeys.OPS;
                byte[][] fields = entry instanceof Event e ? EntryEncoder.encode(e) : EntryEncoder.encode((CounterOp) entry);
                byte[] id = EntryEncoder.id(fields);
                byte[] dedupe = keys.dedupe(topic, 3, EntryEncoder.routingKey(topic, fields), id);

                PendingSend inPlace = PendingSend.withId(3, topic, fields, id, keys);
                PendingSend given = new PendingSend(3, topic, fields, dedupe);

                assertThat(inPlace.values).as("%s, %s", layout, entry).isEqualTo(given.values);
                assertThat(inPlace.dedupe()).isEqualTo(dedupe);
                assertThat(inPlace.idempotent()).isTrue();
                assertThat(inPlace.id()).isEqualTo(id);
                // the values end with digest and dedupe key or field; a call names a key in KEYS instead
                byte[] plainValues = EntryEncoder.packValues(fields);
                int withDigest = plainValues.length + MsgPack.packedSize(PayloadDigest.of(fields));
                assertThat(inPlace.packedLength(true)).isEqualTo(inPlace.values.length)
                        .isEqualTo(withDigest + MsgPack.packedSize(dedupe));
                assertThat(inPlace.packedLength(false)).isEqualTo(withDigest);
                assertThat(Arrays.copyOf(inPlace.values, plainValues.length)).isEqualTo(plainValues);
                assertThat(MsgPack.stringAt(inPlace.values, fields.length / 2))
                        .isEqualTo(PayloadDigest.of(fields));
            }
        }
    }

    @Test
    void aSendWithoutAnId_packsItsValuesOnly() {
        byte[][] fields = EntryEncoder.encode(CounterOp.incr("page", 7).withTs(5));
        PendingSend plain = new PendingSend(0, StreamKeys.OPS, fields, null);
        assertThat(plain.idempotent()).isFalse();
        assertThat(plain.dedupe()).isNull();
        assertThat(plain.values).isEqualTo(EntryEncoder.packValues(fields));
        assertThat(plain.packedLength(true)).isEqualTo(plain.packedLength(false)).isEqualTo(plain.values.length);
    }
}
