package io.tally.app.cli;

import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every flag of the README's configuration table is accepted by every command that reads its key, and
 * the value reaches the command's configuration; a command refuses the flag of a key it does not read.
 */
class ConfigFlagsTest {
    private static final Path README = Path.of("..", "README.md");

    /** Arguments a command needs besides the flag under test. */
    private static final Map<String, List<String>> REQUIRED = Map.ofEntries(
            Map.entry("incr", List.of("c")), Map.entry("decr", List.of("c")), Map.entry("set", List.of("c", "1")),
            Map.entry("reset", List.of("c")), Map.entry("unique-add", List.of("c", "m")), Map.entry("get", List.of("c")),
            Map.entry("delete", List.of("c")), Map.entry("series", List.of("c", "--window", "1m")),
            Map.entry("unique", List.of("c")), Map.entry("emit", List.of("click")),
            Map.entry("verify", List.of("--expect-file", "f")), Map.entry("repair stream-ids", List.of("--partition", "0")),
            Map.entry("trigger get", List.of("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV")),
            Map.entry("trigger cancel", List.of("t0-01ARZ3NDEKTSV4RRFFQ69G5FAV")));

    @Test
    void everyReadmeFlag_isAcceptedByEveryCommandThatReadsIt_andReachesItsConfiguration() throws IOException {
        Map<String, ConfigKey<?>> readme = readmeFlags();
        assertThat(readme).isNotEmpty();
        int checked = 0;
        for (List<String> command : commandsWithConfig()) {
            String name = String.join(" ", command);
            for (ConfigKey<?> key : ConfigOptions.keys(userClass(command))) {
                assertThat(readme).as("README table has " + key.flag() + ", which tally " + name + " reads")
                        .containsKey(key.flag());
                String value = sample(key);
                List<String> args = new ArrayList<>(command);
                args.addAll(REQUIRED.getOrDefault(name, List.of()));
                args.add(key.flag());
                if (!(key.defaultValue() instanceof Boolean) || Boolean.TRUE.equals(key.defaultValue())) {
                    args.add(value); // a boolean flag alone is true: only one that defaults to true needs a value
                }
                TallyConfig config = configOf(args);
                assertThat(String.valueOf(config.get(key)).toLowerCase(Locale.ROOT))
                        .as("tally %s %s %s", name, key.flag(), value).isEqualTo(value.toLowerCase(Locale.ROOT));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    @Test
    void everyReadmeFlag_isATallyProcessorOption() throws IOException {
        StringWriter out = new StringWriter();
        assertThat(TallyMain.run(new String[] {"processor", "--help"}, Map.of(), new PrintWriter(out, true),
                new PrintWriter(new StringWriter(), true))).isZero();
        String usage = out.toString();
        for (String flag : readmeFlags().keySet()) {
            assertThat(usage).as("tally processor --help lists " + flag).contains(flag + " ");
        }
    }

    @Test
    void aFlagOfAKeyTheCommandDoesNotRead_isRefusedWithExit2() {
        StringWriter err = new StringWriter();
        int code = TallyMain.run(new String[] {"get", "c", "--api-port", "9"}, Map.of(), new PrintWriter(new StringWriter()),
                new PrintWriter(err, true));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("tally get: Unknown option: '--api-port', and 1 argument it does not take "
                        + "(not shown: it may be a secret)" + System.lineSeparator()
                + "tally get: --api-port sets api-port, which tally get does not read" + System.lineSeparator())
                .endsWith("Run 'tally get --help' for its options." + System.lineSeparator());
    }

    @Test
    void anUnknownOption_isNamedWithoutTheValuesAroundIt() {
        StringWriter err = new StringWriter();
        int code = TallyMain.run(new String[] {"serve", "--api-tokens", "tok-secret-1", "--bogus=hunter2", "--other"},
                Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("tally serve: Unknown options: '--api-tokens', '--bogus', '--other', and 1 "
                + "argument it does not take (not shown: it may be a secret)" + System.lineSeparator())
                .doesNotContain("tok-secret-1").doesNotContain("hunter2");
    }

    @Test
    void aFlagWinsOverItsEnvironmentVariable() {
        CommandLine cmd = TallyMain.commandLine(Map.of("TALLY_REDIS_TIMEOUT_MS", "5000", "TALLY_SEND_TIMEOUT_MS", "7000"),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        TallyConfig config = options(cmd.parseArgs("incr", "c", "--redis-timeout-ms", "4000")).config();
        assertThat(config.get(TallyConfig.REDIS_TIMEOUT_MS)).isEqualTo(4000);
        assertThat(config.get(TallyConfig.SEND_TIMEOUT_MS)).isEqualTo(7000L);
    }

    /** A valid value of the key other than its default, as the flag's text. */
    private static String sample(ConfigKey<?> key) {
        Object def = key.defaultValue();
        if (key == TallyConfig.REDIS_URL) {
            return "redis://10.0.0.7:6390";
        }
        if (key == TallyConfig.SERIES_WINDOWS) {
            return "1m=2h,1h=2d";
        }
        if (key == TallyConfig.NAMESPACE) {
            return "flags-ns";
        }
        if (key == TallyConfig.API_HOST) {
            return "127.0.0.2";
        }
        if (def instanceof Boolean b) {
            return Boolean.toString(!b);
        }
        if (def instanceof Integer i) {
            return Integer.toString(i + 1);
        }
        if (def instanceof Long l) {
            return Long.toString(l + 1);
        }
        if (def instanceof Enum<?> e) {
            Object[] all = e.getDeclaringClass().getEnumConstants();
            return all[(e.ordinal() + 1) % all.length].toString().toLowerCase(Locale.ROOT);
        }
        return "/tmp/" + key.name() + "-sample";
    }

    private static TallyConfig configOf(List<String> args) {
        CommandLine cmd = TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        return options(cmd.parseArgs(args.toArray(String[]::new))).config();
    }

    private static ConfigOptions options(ParseResult parsed) {
        ParseResult leaf = parsed;
        while (leaf.subcommand() != null) {
            leaf = leaf.subcommand();
        }
        return leaf.commandSpec().mixins().values().stream().map(CommandLine.Model.CommandSpec::userObject)
                .filter(ConfigOptions.class::isInstance).map(ConfigOptions.class::cast).findFirst().orElseThrow();
    }

    private static Class<?> userClass(List<String> command) {
        CommandLine cmd = TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()));
        for (String word : command) {
            cmd = cmd.getSubcommands().get(word);
        }
        return cmd.getCommandSpec().userObject().getClass();
    }

    /** The commands that have configuration flags, as the words that name them. */
    private static List<List<String>> commandsWithConfig() {
        List<List<String>> all = new ArrayList<>();
        for (List<String> command : CommandHelpTest.commands()) {
            CommandLine cmd = TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter()));
            for (String word : command) {
                cmd = cmd.getSubcommands().get(word);
            }
            if (cmd.getCommandSpec().mixins().values().stream().anyMatch(m -> m.userObject() instanceof ConfigOptions)) {
                all.add(command);
            }
        }
        assertThat(all).extracting(c -> String.join(" ", c)).contains("incr", "serve", "dlq list", "trigger add");
        return all;
    }

    /** The README table's flags and the keys they name. */
    static Map<String, ConfigKey<?>> readmeFlags() throws IOException {
        String text = Files.readString(README);
        String table = text.substring(text.indexOf("<!-- config-table:start -->"), text.indexOf("<!-- config-table:end -->"));
        Map<String, ConfigKey<?>> flags = new LinkedHashMap<>();
        for (String line : table.lines().toList()) {
            if (line.startsWith("| `--")) {
                String flag = line.substring(3, line.indexOf('`', 3));
                flags.put(flag, TallyConfig.keys().stream().filter(k -> k.flag().equals(flag)).findFirst().orElseThrow());
            }
        }
        return flags;
    }
}
