package io.tally.common.internal.text;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ForeignTextTest {

    @Test
    void replacesC0DelAndC1ControlCharacters_keepsEveryOtherCharacter() {
        assertThat(ForeignText.printable("a\nb\r\tc\u0000d\u007fe\u0085f\u009fg", 100)).isEqualTo("a?b??c?d?e?f?g");
        assertThat(ForeignText.printable("\u00a0é\u2028\uD83D\uDE00 ~", 100)).isEqualTo("\u00a0é\u2028\uD83D\uDE00 ~");
    }

    @Test
    void cutsAfterMaxCharacters_andSaysSo() {
        assertThat(ForeignText.printable("abcdef", 6)).isEqualTo("abcdef");
        assertThat(ForeignText.printable("abcdefg", 6)).isEqualTo("abcdef...");
        assertThat(ForeignText.printable("ab\ncdefg", 3)).isEqualTo("ab?...");
        assertThat(ForeignText.printable("", 0)).isEqualTo("");
    }

    /** The three copies it replaced (processor loop, trigger JSON, trigger client) all did this. */
    @Property(tries = 500)
    void sameAsTheRegexItReplaced(@ForAll("text") String text, @ForAll @IntRange(max = 50) int max) {
        String cut = text.length() <= max ? text : text.substring(0, max) + "...";
        assertThat(ForeignText.printable(text, max)).isEqualTo(cut.replaceAll("[\\p{Cntrl}\\x80-\\x9f]", "?"));
    }

    @Provide
    Arbitrary<String> text() {
        return Arbitraries.strings().withCharRange('\u0000', '\u00ff').withCharRange('\u2000', '\u206f')
                .withCharRange('\uD800', '\uDFFF').ofMaxLength(80);
    }
}
