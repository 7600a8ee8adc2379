package io.tally.app.cli;

import io.tally.app.cli.TallyCliTest.Run;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every command's {@code --help}: its own options only, wrapped to the terminal, no picocli warning. */
class CommandHelpTest {

    @Test
    void everyCommandsHelp_fitsTheTerminalWidth_andPicocliWarnsAboutNothing() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream picocli = new ByteArrayOutputStream();
        System.setErr(new PrintStream(picocli, true, StandardCharsets.UTF_8));
        try {
            Run top = help(Map.of(), List.of());
            assertThat(top.code()).isZero();
            assertThat(top.out()).contains("unique-add").contains("0.81% standard error");
            for (List<String> command : commands()) {
                Run r = help(Map.of("COLUMNS", "64"), command);
                String name = "tally " + String.join(" ", command);
                assertThat(r.code()).as(name).isZero();
                assertThat(r.out()).as(name).startsWith("Usage: " + name + " [OPTIONS]")
                        .contains("-h, --help").doesNotContain("--version").doesNotContain("-V,");
                assertThat(r.out().lines().filter(l -> l.length() > 64)).as(name + " at 64 columns").isEmpty();
            }
        } finally {
            System.setErr(stderr);
        }
        assertThat(picocli.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN").isEmpty();
    }

    @Test
    void aCommandsHelp_listsTheConfigurationItReads_andNoOther() {
        String incr = help(Map.of(), List.of("incr")).out();
        assertThat(incr).contains("--windows=W[,W...]").contains("--ts=TIME").contains("Producer:")
                .contains("--send-timeout-ms=MS").contains("--series-windows=WINDOWS").contains("--redis-url=URL")
                .doesNotContain("--api-port").doesNotContain("--max-triggers").doesNotContain("--lease-ttl-ms");
        String get = help(Map.of(), List.of("get")).out();
        assertThat(get).contains("Redis and namespace:").contains("--redis-timeout-ms=MS")
                .doesNotContain("--send-timeout-ms").doesNotContain("--windows").doesNotContain("Producer:");
        String serve = help(Map.of(), List.of("serve")).out();
        assertThat(serve).contains("--port, --api-port=N").contains("--host, --api-host=HOST").contains("--insecure")
                .contains("--max-triggers-per-key=N").contains("--api-max-waits=N");
        String triggerAdd = help(Map.of(), List.of("trigger", "add")).out();
        assertThat(triggerAdd).contains("--in=DURATION").contains("--max-triggers=N").contains("--send-timeout-ms")
                .doesNotContain("--acks");
        assertThat(help(Map.of(), List.of("set")).out()).as("set counts in no window").doesNotContain("--windows");
    }

    @Test
    void helpWidth_followsColumns_andFallsBackTo80WithoutATerminal() {
        assertThat(help(Map.of("COLUMNS", "120"), List.of("incr")).out().lines().mapToInt(String::length).max()
                .orElse(0)).isGreaterThan(80).isLessThanOrEqualTo(120);
        assertThat(help(Map.of(), List.of("incr")).out().lines().mapToInt(String::length).max().orElse(0))
                .isLessThanOrEqualTo(80);
    }

    /** Every leaf command and every command with subcommands, as the words that name it. */
    static List<List<String>> commands() {
        List<List<String>> all = new ArrayList<>();
        collect(TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                new ArrayList<>(), all);
        return all;
    }

    private static void collect(CommandLine cmd, List<String> path, List<List<String>> all) {
        for (Map.Entry<String, CommandLine> sub : cmd.getSubcommands().entrySet()) {
            List<String> words = new ArrayList<>(path);
            words.add(sub.getKey());
            if (!sub.getKey().equals("processor")) { // passes --help on to ProcessorMain's own usage
                all.add(words);
            }
            collect(sub.getValue(), words, all);
        }
    }

    private static Run help(Map<String, String> env, List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = TallyMain.run(args.toArray(String[]::new), env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }
}
