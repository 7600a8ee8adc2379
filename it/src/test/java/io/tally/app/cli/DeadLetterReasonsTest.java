package io.tally.app.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tally dlq --reason} accepts exactly the reasons of the wire format's dead-letter table. */
class DeadLetterReasonsTest {

    @Test
    void theReasonsAreThoseOfWireFormatMd() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "wire-format.md"));
        String table = doc.substring(doc.indexOf("| reason | when |"), doc.indexOf("An entry whose `v`"));
        Matcher m = Pattern.compile("(?m)^\\| `([a-z0-9_]+)` \\|").matcher(table);
        List<String> documented = m.results().map(r -> r.group(1)).toList();
        assertThat(DeadLetterReasons.ALL).containsExactlyElementsOf(documented);
    }
}
