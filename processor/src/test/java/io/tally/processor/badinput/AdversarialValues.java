package io.tally.processor.badinput;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Hand-picked hard cases for names and numbers, shared by the agreement test and the property test. */
final class AdversarialValues {
    private AdversarialValues() {
    }

    static final List<String> NAMES = List.of(
            "plain", "a{p1}b", "{p0}", "}{", "a:b:c", "*", "tally:{p2}:counters", "名前", "emoji🎉", "e\u0301",
            "\u200bzero-width", "\u202eRTL", "\ufeffbom", "tab\tname", "nul\u0000", "del\u007f", "c1\u0085",
            "\u00a0nbsp", "x".repeat(200), "x".repeat(201), "é".repeat(100), "é".repeat(101), "🎉".repeat(50),
            "a" + "🎉".repeat(50), "", " ", "\uffff", "\ud800\udc00");

    /** Byte strings that are not UTF-8 (overlong, surrogate, truncated, stray continuation, 0xFF). */
    static final List<byte[]> BAD_UTF8 = List.of(
            new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0x80, 'b'}, new byte[] {(byte) 0xFF},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xF8, 'x'});

    static final List<String> NUMBERS = List.of(
            "0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "-9223372036854775809", "99999999999999999999", "9007199254740992", "9007199254740993", "-9007199254740993",
            "-0", "01", "+1", " 1", "1 ", "1e3", "0x10", "1.0", "", "-", "١٢٣", "9".repeat(5000), "4611686018427387904",
            // what Lua's tostring prints back unchanged: fractions and exponents, short and long
            "0.5", "-1.5", "1e+14", "1e-05", "1e+300", "-1e+300", "1E3", "0.0", ".5", "5.", "inf", "nan", "-inf",
            "12345678901.25", "1234567890123.5", "9.2233720368548e+18");

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
