package io.tally.app.cli;

import io.tally.common.config.ConfigKey;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/cli.md and the real {@code tally} command (picocli's model of it) agree: every command has a synopsis
 * line ({@code tally dlq list [--reason CODE] ...} in a code block) that shows each of its own options and
 * parameters; every option a synopsis or an example ({@code $ tally ...}) gives exists on that command; every
 * option the page names exists somewhere; and the table of configuration sections lists each section's flags
 * and the commands that take them. Configuration flags themselves are the README table's
 * ({@link ConfigFlagsTest}); {@code tally processor} takes all of them.
 */
class CliDocsTest {
    private static final Path CLI_MD = Path.of("..", "docs", "cli.md");
    private static final Pattern CODE_BLOCK = Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```$");
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])(--?[a-zA-Z][a-zA-Z0-9-]*)");
    private static final Pattern LONG_OPTION = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*)");
    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    /** Options of other programs that cli.md names. */
    private static final Set<String> FOREIGN = Set.of("--describe"); // kafka-consumer-groups --describe
    /** Options every command has, documented once for all ("Every command has --help", "--verbose, on every command"). */
    private static final Set<String> EVERYWHERE = Set.of("-h", "--help", "--verbose");

    @Test
    void everyCommand_hasASynopsis_andEverySynopsisNamesACommand() throws IOException {
        Map<String, List<String>> synopses = synopses();
        Map<String, CommandLine> commands = commands();
        assertThat(commands.keySet().stream().filter(c -> !synopses.containsKey(c)).toList())
                .as("commands without a synopsis in docs/cli.md").isEmpty();
        assertThat(synopses.keySet().stream().filter(c -> !commands.containsKey(c)).toList())
                .as("synopses in docs/cli.md of commands that do not exist (or of a group alone)").isEmpty();
    }

    @Test
    void everySynopsis_showsEachOptionAndParameterOfItsCommand() throws IOException {
        Map<String, List<String>> synopses = synopses();
        Map<String, Set<String>> missing = new TreeMap<>();
        for (Map.Entry<String, CommandLine> command : commands().entrySet()) {
            if (command.getKey().equals("tally processor")) {
                continue; // its options are the configuration keys: README table, ConfigFlagsTest
            }
            String synopsis = String.join("\n", synopses.getOrDefault(command.getKey(), List.of()));
            Set<String> shown = options(synopsis);
            CommandSpec spec = command.getValue().getCommandSpec();
            for (OptionSpec option : ownOptions(spec)) {
                for (String name : option.names()) {
                    if (!shown.contains(name)) {
                        missing.computeIfAbsent(command.getKey(), c -> new TreeSet<>()).add(name);
                    }
                }
            }
            for (PositionalParamSpec parameter : spec.positionalParameters()) {
                if (!Pattern.compile("(?<![\\w=-])" + Pattern.quote(parameter.paramLabel()) + "(?![\\w=-])")
                        .matcher(synopsis).find()) {
                    missing.computeIfAbsent(command.getKey(), c -> new TreeSet<>()).add(parameter.paramLabel());
                }
            }
        }
        assertThat(missing).as("options and parameters missing from the commands' synopses in docs/cli.md").isEmpty();
    }

    @Test
    void everyOptionOfASynopsisOrExample_isAnOptionOfThatCommand() throws IOException {
        Map<String, CommandLine> commands = commands();
        Map<String, List<String>> lines = synopses();
        assertThat(examples()).containsKeys("tally counters", "tally series");
        examples().forEach((command, examples) -> lines.computeIfAbsent(command, c -> new ArrayList<>()).addAll(examples));
        Map<String, Set<String>> unknown = new TreeMap<>();
        for (Map.Entry<String, List<String>> command : lines.entrySet()) {
            Set<String> accepted = command.getKey().equals("tally processor") ? processorOptions()
                    : allNames(commands.get(command.getKey()).getCommandSpec());
            for (String option : options(String.join("\n", command.getValue()))) {
                if (!accepted.contains(option)) {
                    unknown.computeIfAbsent(command.getKey(), c -> new TreeSet<>()).add(option);
                }
            }
        }
        assertThat(unknown).as("options docs/cli.md gives a command that the command does not take").isEmpty();
    }

    @Test
    void everyOptionCliMdNames_exists() throws IOException {
        Set<String> known = new TreeSet<>(processorOptions());
        commands().values().forEach(c -> known.addAll(allNames(c.getCommandSpec())));
        Set<String> unknown = new TreeSet<>();
        Matcher m = LONG_OPTION.matcher(Files.readString(CLI_MD));
        while (m.find()) {
            if (!known.contains(m.group(1)) && !FOREIGN.contains(m.group(1))) {
                unknown.add(m.group(1));
            }
        }
        assertThat(unknown).as("options docs/cli.md names that no tally command takes").isEmpty();
    }

    @Test
    void everyCommand_hasHelpAndVerbose() {
        commands().forEach((name, command) -> {
            if (!name.equals("tally") && !name.equals("tally processor")) {
                assertThat(allNames(command.getCommandSpec())).as(name).contains("--help", "--verbose");
            }
        });
        assertThat(processorOptions()).contains("--help", "--verbose");
    }

    @Test
    void configurationTable_listsEachSectionsFlags_andTheCommandsThatTakeThem() throws IOException {
        String text = Files.readString(CLI_MD);
        int start = text.indexOf("| section of `--help` |");
        assertThat(start).as("docs/cli.md has the table of configuration sections").isNotNegative();
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : text.substring(start, text.indexOf("\n\n", start)).lines().skip(2).toList()) {
            List<String> cells = Stream.of(line.substring(1, line.lastIndexOf('|')).split("\\|")).map(String::trim).toList();
            rows.put(cells.get(0), cells);
        }
        Map<String, CommandLine> commands = commands();
        for (ConfigScope scope : ConfigScope.values()) {
            List<String> row = rows.remove(scope.heading());
            assertThat(row).as("a row for the section '" + scope.heading() + "'").isNotNull();
            Set<String> flags = new TreeSet<>();
            for (ConfigKey<?> key : scope.keys()) {
                if (!key.secret()) {
                    flags.add(key.flag());
                    flags.addAll(ConfigScope.ALIASES.getOrDefault(key, List.of()));
                }
            }
            assertThat(backticked(row.get(1))).as("flags of '" + scope.heading() + "' in docs/cli.md").isEqualTo(flags);

            Set<String> takers = new TreeSet<>();
            commands.forEach((name, command) -> {
                if (hasConfigOptions(command) && ConfigOptions.scopes(command.getCommandSpec().userObject().getClass())
                        .contains(scope)) {
                    takers.add(name.substring("tally ".length()));
                }
            });
            if (scope == ConfigScope.CONNECTION) {
                assertThat(row.get(2)).isEqualTo("every command that talks to Redis");
                commands.forEach((name, command) -> {
                    if (command.getSubcommands().isEmpty() && !name.equals("tally processor")) {
                        assertThat(takers).as(name + " takes the connection flags").contains(name.substring("tally ".length()));
                    }
                });
            } else {
                Set<String> documented = new TreeSet<>(backticked(row.get(2)));
                documented.removeIf(word -> word.startsWith("-"));
                assertThat(documented).as("commands that take '" + scope.heading() + "' in docs/cli.md").isEqualTo(takers);
            }
        }
        assertThat(rows.keySet()).as("rows of docs/cli.md's table that are no section of any help").isEmpty();
    }

    /** Every command of the tree, by its full name ("tally dlq list"), groups without options of their own left out. */
    static Map<String, CommandLine> commands() {
        Map<String, CommandLine> all = new TreeMap<>();
        CommandLine root = TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        collect(root, "tally", all);
        assertThat(all).containsKeys("tally", "tally incr", "tally dlq list", "tally repair stream-ids", "tally processor");
        return all;
    }

    private static void collect(CommandLine command, String name, Map<String, CommandLine> all) {
        if (command.getSubcommands().isEmpty() || !ownOptions(command.getCommandSpec()).isEmpty()) {
            all.put(name, command);
        }
        command.getSubcommands().forEach((word, sub) -> {
            if (word.equals(sub.getCommandName())) { // aliases are the same command
                collect(sub, name + " " + word, all);
            }
        });
    }

    /** A command's own options: not configuration flags, not --help or --verbose. */
    private static List<OptionSpec> ownOptions(CommandSpec spec) {
        Set<OptionSpec> config = new java.util.HashSet<>();
        spec.argGroups().forEach(g -> config.addAll(g.allOptionsNested()));
        return spec.options().stream().filter(o -> !config.contains(o))
                .filter(o -> Stream.of(o.names()).noneMatch(EVERYWHERE::contains)).toList();
    }

    private static Set<String> allNames(CommandSpec spec) {
        Set<String> names = new TreeSet<>();
        spec.options().forEach(o -> names.addAll(List.of(o.names())));
        return names;
    }

    private static boolean hasConfigOptions(CommandLine command) {
        return command.getCommandSpec().mixins().values().stream().anyMatch(m -> m.userObject() instanceof ConfigOptions);
    }

    /** What {@code tally processor} takes: every flag of the README table, --verbose and --help. */
    private static Set<String> processorOptions() {
        try {
            Set<String> options = new TreeSet<>(ConfigFlagsTest.readmeFlags().keySet());
            options.addAll(EVERYWHERE);
            return options;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The synopsis lines of docs/cli.md's code blocks by command: a line {@code tally WORDS ...} whose words name
     * a command (the longest match; {@code tally COMMAND --help} is the root's), with the indented lines that
     * continue it. Output such as {@code tally get: cannot connect ...} is not a synopsis.
     */
    static Map<String, List<String>> synopses() throws IOException {
        return codeLines("tally ");
    }

    /** The examples of docs/cli.md's code blocks ({@code $ tally counters --limit 3}) by command. */
    private static Map<String, List<String>> examples() throws IOException {
        return codeLines("$ tally ");
    }

    private static Map<String, List<String>> codeLines(String prefix) throws IOException {
        CommandLine root = TallyMain.commandLine(Map.of(), new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        Map<String, List<String>> lines = new TreeMap<>();
        Matcher block = CODE_BLOCK.matcher(Files.readString(CLI_MD));
        while (block.find()) {
            List<String> current = null;
            for (String line : block.group(1).lines().toList()) {
                if (current != null && line.startsWith(" ")) {
                    current.add(line);
                    continue;
                }
                current = null;
                if (!line.startsWith(prefix) || line.split("\\s+")[prefix.split(" ").length].endsWith(":")) {
                    continue;
                }
                String[] words = line.substring(prefix.length()).split("\\s+");
                CommandLine command = root;
                StringBuilder name = new StringBuilder("tally");
                for (String word : words) {
                    CommandLine sub = command.getSubcommands().get(word);
                    if (sub == null) {
                        break;
                    }
                    command = sub;
                    name.append(' ').append(word);
                }
                current = lines.computeIfAbsent(name.toString(), n -> new ArrayList<>());
                current.add(line);
            }
        }
        return lines;
    }

    private static Set<String> options(String text) {
        Set<String> options = new TreeSet<>();
        Matcher m = OPTION.matcher(text);
        while (m.find()) {
            options.add(m.group(1));
        }
        return options;
    }

    private static Set<String> backticked(String cell) {
        Set<String> words = new TreeSet<>();
        Matcher m = BACKTICKED.matcher(cell);
        while (m.find()) {
            words.add(m.group(1));
        }
        return words;
    }
}
