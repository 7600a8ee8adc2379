package io.tally.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TerminalTextTest {
    @Test
    void safe_escapesC0DelC1AndTheBackslash_leavesPrintableTextAlone() {
        assertThat(TerminalText.safe("a\u001b]0;PWNED\u0007b")).isEqualTo("a\\x1b]0;PWNED\\x07b");
        assertThat(TerminalText.safe("l1\nl2\r\tend")).isEqualTo("l1\\nl2\\r\\tend");
        assertThat(TerminalText.safe("\u007f\u0080\u009b\u009f")).isEqualTo("\\x7f\\u0080\\u009b\\u009f");
        assertThat(TerminalText.safe("C:\\dir")).isEqualTo("C:\\\\dir");
        assertThat(TerminalText.safe("caf\u00e9 \u00a0 \u4e2d 😀 naïve")).isEqualTo("caf\u00e9 \u00a0 \u4e2d 😀 naïve");
    }

    @Test
    void safe_escapesLoneSurrogatesReplacementCharacterAndBidiOverrides() {
        assertThat(TerminalText.safe("a\ud800b\udc00c")).isEqualTo("a\\ud800b\\udc00c");
        assertThat(TerminalText.safe("a\ufffdb")).isEqualTo("a\\ufffdb");
        assertThat(TerminalText.safe("x\u202ey\u2066z\u2028")).isEqualTo("x\\u202ey\\u2066z\\u2028");
    }

    @Test
    void safe_cutsLongValues_countingTheBytesLeftOut_andZeroMaxShowsAll() {
        String huge = "x".repeat(1_000_000);
        assertThat(TerminalText.safe(huge)).isEqualTo("x".repeat(200) + "…(+999800 bytes)");
        assertThat(TerminalText.safe(huge, 0)).isEqualTo(huge);
        assertThat(TerminalText.safe("é".repeat(5), 2)).isEqualTo("éé…(+6 bytes)");
        assertThat(TerminalText.safe("x".repeat(200))).isEqualTo("x".repeat(200));
    }

    @Test
    void safe_neverCutsASurrogatePairInHalf() {
        assertThat(TerminalText.safe("ab😀cd", 3)).isEqualTo("ab…(+6 bytes)");
    }

    @Test
    void json_staysValidJson_withC1Escaped_andLongStringsCutInsideTheirQuotes() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String doc = json.writeValueAsString(Map.of("note", "a\u001bb\u009bc\u007f", "blob", "y".repeat(1000),
                "quote", "say \"hi\" \\ ok"));

        String shown = TerminalText.json(doc, 200);

        assertThat(shown).doesNotContain("\u009b").doesNotContain("\u007f").doesNotContain("\u001b");
        @SuppressWarnings("unchecked")
        Map<String, String> back = json.readValue(shown, Map.class);
        assertThat(back.get("note")).isEqualTo("a\u001bb\u009bc\u007f");
        assertThat(back.get("blob")).isEqualTo("y".repeat(200) + "…(+800 bytes)");
        assertThat(back.get("quote")).isEqualTo("say \"hi\" \\ ok");
        assertThat(TerminalText.json(doc, 0)).contains("y".repeat(1000));
    }
}
