package io.tally.common.internal.wire;

import io.tally.common.model.CounterOp;
import io.tally.common.model.Event;
import io.tally.common.model.InvalidEntryException;
import io.tally.common.model.OpKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireCodecTest {

    @Test
    void incrEncodesToV1FieldsAndBack() {
        CounterOp op = CounterOp.incr("page:home", 5).withId("op-1").withTs(1700000000000L);
        Map<String, String> fields = WireCodec.encode(op);
        assertThat(fields).containsExactly(Map.entry("op", "incr"), Map.entry("counter", "page:home"),
                Map.entry("by", "5"), Map.entry("id", "op-1"), Map.entry("ts", "1700000000000"));
        assertThat(WireCodec.decodeOp(fields)).isEqualTo(op);
    }

    @Test
    void setAndResetUseTheirOwnFields() {
        assertThat(WireCodec.encode(CounterOp.set("c", -9))).containsEntry("value", "-9").doesNotContainKey("by");
        assertThat(WireCodec.encode(CounterOp.reset("c"))).containsOnlyKeys("op", "counter");
    }

    @Test
    void incrWithoutByMeansOne() {
        CounterOp op = WireCodec.decodeOp(Map.of("op", "incr", "counter", "c"));
        assertThat(op.kind()).isEqualTo(OpKind.INCR);
        assertThat(op.amount()).isEqualTo(1);
    }

    @Test
    void eventParamsTravelAsPrefixedFields() {
        Event event = Event.of("click", Map.of("button", "buy"));
        Map<String, String> fields = WireCodec.encode(event);
        assertThat(fields).containsEntry("type", "click").containsEntry("p.button", "buy");
        assertThat(WireCodec.decodeEvent(fields).params()).isEqualTo(Map.of("button", "buy"));
    }

    @Test
    void unknownExtraFieldsAreIgnored() {
        assertThat(WireCodec.decodeOp(Map.of("op", "reset", "counter", "c", "extra", "x")).kind()).isEqualTo(OpKind.RESET);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "counter=c                          | missing_field | 'op'",
            "op=mul;counter=c                   | unknown_op    | 'op'",
            "op=incr                            | missing_field | 'counter'",
            "op=incr;counter=                   | empty_field   | 'counter'",
            "op=incr;counter=c;by=x             | bad_number    | 'by'",
            "op=incr;counter=c;by=+5            | bad_number    | 'by'",
            "op=incr;counter=c;by=007           | bad_number    | 'by'",
            "op=incr;counter=c;by=-0            | bad_number    | 'by'",
            "op=incr;counter=c;by=9223372036854775808 | bad_number | 'by'",
            "op=set;counter=c                   | missing_field | 'value'",
            "op=incr;counter=c;ts=yesterday     | bad_number    | 'ts'",
            "op=unique;counter=c                | missing_field | 'member'",
            "op=unique;counter=c;member=        | empty_field   | 'member'",
            "op=incr;counter=c;windows=         | bad_windows   | 'windows'",
            "op=incr;counter=c;windows=1m,,1h   | bad_windows   | 'windows'",
            "op=incr;counter=c;windows=1m,1m    | bad_windows   | 'windows'",
            "op=incr;counter=c;windows=1w       | bad_windows   | 'windows'",
            "op=incr;counter=c;windows=01m      | bad_windows   | 'windows'",
            "op=set;counter=c;value=1;windows=1m | bad_windows  | 'windows'",
            "op=reset;counter=c;windows=1m      | bad_windows   | 'windows'",
    })
    void brokenEntriesNameTheField(String spec, String reason, String field) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        for (String kv : spec.split(";")) {
            String[] parts = kv.split("=", -1);
            fields.put(parts[0], parts[1]);
        }
        assertThatThrownBy(() -> WireCodec.decodeOp(fields))
                .isInstanceOfSatisfying(InvalidEntryException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContaining(field);
    }

    @Test
    void tenKilobyteCounterNameIsTooLong() {
        String name = "x".repeat(10_000);
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.incr(name, 1)))
                .isInstanceOfSatisfying(InvalidEntryException.class, e -> assertThat(e.reason()).isEqualTo("too_long"))
                .hasMessageContaining("10000 bytes");
    }

    @Test
    void twoHundredBytesOfMultibyteUtf8IsTheLimit() {
        String ok = "é".repeat(100);
        assertThat(WireCodec.encode(CounterOp.incr(ok, 1))).containsEntry("counter", ok);
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.incr(ok + "a", 1))).hasMessageContaining("201 bytes");
    }

    @Test
    void controlCharactersAndLoneSurrogatesAreRefused() {
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.incr("a\nb", 1))).hasMessageContaining("U+000A");
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.incr("a\u0085", 1))).hasMessageContaining("U+0085");
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.incr("a\ud800", 1)))
                .isInstanceOfSatisfying(InvalidEntryException.class, e -> assertThat(e.reason()).isEqualTo("bad_utf8"));
    }

    @Test
    void extremeValuesRoundTrip() {
        for (long v : new long[]{Long.MIN_VALUE, Long.MAX_VALUE, 0, -1}) {
            assertThat(WireCodec.decodeOp(WireCodec.encode(CounterOp.set("c", v))).amount()).isEqualTo(v);
        }
    }

    @Test
    void unknownVersionIsNotADeadLetterButAStop() {
        assertThatThrownBy(() -> WireCodec.decodeOp(Map.of("v", "2", "op", "incr", "counter", "c")))
                .isInstanceOf(UnsupportedVersionException.class).hasMessageContaining("'2'").hasMessageContaining("upgrade");
    }

    @Test
    void uniqueWithWindowsEncodesToV1FieldsAndBack() {
        CounterOp op = CounterOp.unique("page:home", "visitor-42").withWindows("1m", "1d").withTs(1700000000000L);
        Map<String, String> fields = WireCodec.encode(op);
        assertThat(fields).containsExactly(Map.entry("op", "unique"), Map.entry("counter", "page:home"),
                Map.entry("member", "visitor-42"), Map.entry("windows", "1m,1d"), Map.entry("ts", "1700000000000"));
        assertThat(WireCodec.decodeOp(fields)).isEqualTo(op);
    }

    @Test
    void incrWithWindowsKeepsThemInOrder() {
        CounterOp op = WireCodec.decodeOp(Map.of("op", "incr", "counter", "c", "by", "3", "windows", "1d,1m"));
        assertThat(op.windows()).containsExactly("1d", "1m");
        assertThat(op.amount()).isEqualTo(3);
    }

    @Test
    void encodingRefusesWindowsOnSetAndAMemberOver200Bytes() {
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.set("c", 1).withWindows("1m")))
                .isInstanceOfSatisfying(InvalidEntryException.class, e -> assertThat(e.reason()).isEqualTo("bad_windows"))
                .hasMessageContaining("'windows'");
        assertThatThrownBy(() -> WireCodec.encode(CounterOp.unique("c", "m".repeat(201))))
                .isInstanceOfSatisfying(InvalidEntryException.class, e -> assertThat(e.reason()).isEqualTo("too_long"))
                .hasMessageContaining("'member'");
    }

    @Test
    void refusesAnEventOfMoreThanAHundredParamsOrAValueOver64KiB() {
        Map<String, String> params = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 101; i++) {
            params.put("k" + i, "v");
        }
        assertThatThrownBy(() -> WireCodec.encode(new Event("t", params, null, null)))
                .hasMessageContaining("more than 100 parameters")
                .extracting(e -> ((InvalidEntryException) e).reason()).isEqualTo("too_many_params");
        assertThatThrownBy(() -> WireCodec.encode(new Event("t", Map.of("k", "x".repeat(65_537)), null, null)))
                .extracting(e -> ((InvalidEntryException) e).reason()).isEqualTo("too_large");
        assertThat(WireCodec.encode(new Event("t", Map.of("k", "x".repeat(65_536)), null, null))).containsKey("p.k");
    }

    @Test
    void decodesNoEntryOfMoreThanAThousandFields() {
        Map<String, String> fields = new java.util.HashMap<>(Map.of("op", "incr", "counter", "c"));
        for (int i = 0; i < 999; i++) {
            fields.put("x" + i, "v");
        }
        assertThatThrownBy(() -> WireCodec.decodeOp(fields))
                .extracting(e -> ((InvalidEntryException) e).reason()).isEqualTo("too_many_fields");
    }
}
