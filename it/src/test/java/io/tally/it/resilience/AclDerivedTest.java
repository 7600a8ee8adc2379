package io.tally.it.resilience;

import io.tally.it.resilience.AclScenario.RedisUser;
import io.tally.it.resilience.AclScenario.Role;
import io.tally.common.internal.redis.LuaScript;
import io.tally.testkit.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ACL users of docs/operations.md are derived, not written: every path of each role runs under a
 * user allowed everything, {@code INFO commandstats} of the role's windows gives the commands it sends
 * (commands run inside scripts included), and the documented {@code ACL SETUSER} line of the role must
 * grant exactly those. Then the same paths run under the documented users, with the default user
 * disabled, and {@code ACL LOG} may hold only Redisson's connect-time probe.
 */
@Tag("slow")
class AclDerivedTest {
    static final Path OPERATIONS_DOC = Path.of("..", "docs", "operations.md");
    private static final Path LUA = Path.of("..", "common", "src", "main", "resources", "tally", "lua");
    /**
     * Redisson's cluster detection when a client connects: {@code EVAL "redis.call('get', KEYS[1])
     * redis.call('get', KEYS[2])" 2 test1 test2} (a CROSSSLOT error means cluster). Tally never sends EVAL;
     * the users are denied it, Redisson tolerates the denial, and ACL LOG shows it.
     */
    static final String PROBE = "eval";
    /**
     * Commands a role needs on a path the scenario cannot reach in a test's time, with the reason. The
     * test checks that a script the role runs names each of them.
     */
    static final Map<Role, Set<String>> UNREACHED = Map.of(
            // firings_claim.lua reads XINFO STREAM of firings-dlq only when a claim finds it already written,
            // and calls XCLAIM only while firings-dlq cannot take a dead letter; append_runs.lua calls SET and
            // DEL only in a namespace created before dedupe buckets (a key per operation id), which the
            // scenario's namespace is not
            Role.PRODUCER, Set.of("xinfo|stream", "xclaim", "set", "del"),
            // consumers_gc.lua deletes a dead processor's consumer once it is idle for 60 s or 3 lease TTLs
            Role.PROCESSOR, Set.of("xgroup|delconsumer"));

    /**
     * Scripts the scenario does not run: repair_stream_ids.lua runs under an operator's admin user
     * (docs/operations.md), send_batch.lua is no path's (a test calls it), dead_letter_entry.lua is loaded
     * but needs a poison entry.
     */
    private static final Set<String> NOT_RUN = Set.of("repair_stream_ids", "send_batch", "dead_letter_entry");

    private RedisServer server;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theDocumentedUsersGrantExactlyWhatEachRoleSends_andEveryPathRunsUnderThem() throws Exception {
        server = RedisServer.start();
        String adminPassword = secret();
        try (AdminLink asDefault = AdminLink.open(server.port())) {
            assertThat(asDefault.call("ACL", "SETUSER", "admin", "on", ">" + adminPassword, "~*", "&*", "+@all"))
                    .isEqualTo("OK");
            assertThat(asDefault.call("ACL", "SETUSER", "default", "off")).isEqualTo("OK");
        }
        try (AdminLink admin = AdminLink.open(server.port(), "admin", adminPassword)) {
            Derived derived = derive(admin, adminPassword);
            Map<Role, Set<String>> documented = new EnumMap<>(Role.class);
            for (Role role : Role.values()) {
                documented.put(role, grantedCommands(documentedAclSetUser(role)));
            }
            assertThat(documented).as("docs/operations.md's lines must grant exactly what each role sends; derived:%n%s%n%s",
                    aclLine(Role.PRODUCER, derived.commands.get(Role.PRODUCER)),
                    aclLine(Role.PROCESSOR, derived.commands.get(Role.PROCESSOR)))
                    .isEqualTo(derived.commands);
            assertEveryScriptsCommandsAreGrantedToItsRole(derived, documented);

            runUnderTheDocumentedUsers(admin);
        }
    }

    /** What each role sends and which scripts it loads or runs, under users allowed everything. */
    private record Derived(Map<Role, Set<String>> commands, Map<Role, Set<String>> scripts, Map<String, String> sources) {
    }

    private Derived derive(AdminLink admin, String adminPassword) throws Exception {
        RedisUser openProducer = openUser(admin, "open-producer");
        RedisUser openProcessor = openUser(admin, "open-processor");
        try (ScriptWatch watch = new ScriptWatch(server.port(), "admin", adminPassword, Set.copyOf(scriptNames()))) {
            Derivation derivation = new Derivation(admin, watch);
            new AclScenario(server.port(), openProducer, openProcessor, admin, derivation, tmp).run();
            // every script ran but those of NOT_RUN; the poison-entry script is loaded by Processor.start, so
            // its commands are checked like those of the scripts that ran
            assertThat(watch.ran()).containsAll(scriptNames().stream().filter(n -> !NOT_RUN.contains(n)).toList());
            Map<String, String> sources = new HashMap<>();
            for (String name : scriptNames()) {
                sources.put(name, LuaScript.resource(name).source());
            }
            derivation.scripts().values().stream().flatMap(Set::stream).filter(n -> n.startsWith(ScriptWatch.CLIENT))
                    .forEach(n -> sources.put(n, watch.clientSource(n)));
            return new Derived(derivation.commands(), derivation.scripts(), sources);
        }
    }

    /** A branch of a script that the scenario did not reach still needs its commands. */
    private static void assertEveryScriptsCommandsAreGrantedToItsRole(Derived derived, Map<Role, Set<String>> documented)
            throws IOException {
        Set<String> tallyScripts = new TreeSet<>();
        for (Role role : Role.values()) {
            for (String script : derived.scripts.get(role)) {
                assertThat(derived.sources.get(script)).as("the source of %s, seen in SCRIPT LOAD", script).isNotNull();
                Set<String> missing = commandsOf(derived.sources.get(script));
                missing.removeAll(documented.get(role));
                assertThat(missing).as("commands of script %s, which %s runs, that its line does not grant", script, role)
                        .isEmpty();
                if (!script.startsWith(ScriptWatch.CLIENT)) {
                    tallyScripts.add(script);
                }
            }
        }
        assertThat(tallyScripts).as("every script was loaded or ran").isEqualTo(new TreeSet<>(scriptNames().stream()
                .filter(n -> !NOT_RUN.contains(n) || n.equals("dead_letter_entry")).toList()));
    }

    /** The same paths under the documented users, default user off: only Redisson's probe is denied. */
    private void runUnderTheDocumentedUsers(AdminLink admin) throws Exception {
        admin.call("FLUSHALL");
        admin.call("ACL", "LOG", "RESET");
        RedisUser producer = documentedUser(admin, Role.PRODUCER);
        RedisUser processor = documentedUser(admin, Role.PROCESSOR);
        try {
            new AclScenario(server.port(), producer, processor, admin, AclScenario.Windows.NONE, tmp).run();
        } catch (RuntimeException | AssertionError e) {
            throw new AssertionError("a path failed under the documented users; ACL LOG: " + admin.aclLog(), e);
        }
        List<Map<String, Object>> log = admin.aclLog();
        assertThat(log).as("ACL LOG holds only Redisson's probe: %s", log)
                .isNotEmpty()
                .allSatisfy(e -> assertThat(e).containsEntry("reason", "command").containsEntry("object", PROBE)
                        .containsEntry("context", "toplevel"));
    }

    /** Records each role's commands and scripts over its windows. */
    private static final class Derivation implements AclScenario.Windows {
        private final AdminLink admin;
        private final ScriptWatch watch;
        private final Map<Role, Set<String>> commands = new EnumMap<>(Role.class);
        private final Map<Role, Set<String>> scripts = new EnumMap<>(Role.class);
        private long windows;
        private Role current;

        Derivation(AdminLink admin, ScriptWatch watch) {
            this.admin = admin;
            this.watch = watch;
            for (Role r : Role.values()) {
                commands.put(r, new TreeSet<>(UNREACHED.get(r)));
                scripts.put(r, new TreeSet<>());
            }
        }

        @Override
        public void begin(Role role) {
            current = role;
            try {
                watch.drain(windows); // forgets what ran between windows (the admin runs no script)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            admin.call("CONFIG", "RESETSTAT");
        }

        @Override
        public void end() {
            // INFO commandstats does not count itself; RESETSTAT counts after it ran
            admin.commandCalls().forEach((cmd, calls) -> {
                if (calls > 0 && !AclScenario.ADMIN_COMMANDS_IN_WINDOWS.contains(cmd) && !cmd.equals(PROBE)) {
                    commands.get(current).add(cmd);
                }
            });
            try {
                scripts.get(current).addAll(watch.drain(++windows));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        Map<Role, Set<String>> commands() {
            return commands;
        }

        Map<Role, Set<String>> scripts() {
            return scripts;
        }
    }

    private static RedisUser openUser(AdminLink admin, String name) {
        String password = secret();
        admin.call("ACL", "SETUSER", name, "reset", "on", ">" + password, "~*", "&*", "+@all");
        return new RedisUser(name, password);
    }

    private static RedisUser documentedUser(AdminLink admin, Role role) throws IOException {
        String password = secret();
        List<String> words = documentedAclSetUser(role);
        List<String> args = new ArrayList<>();
        for (String w : words) {
            args.add(w.equals(">CHANGE_ME") ? ">" + password : w);
        }
        assertThat(admin.call(args.toArray(String[]::new))).isEqualTo("OK");
        return new RedisUser(words.get(2), password);
    }

    static String userName(Role role) {
        return "tally-" + role.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The ACL SETUSER line that the test expects in the doc for these commands. */
    static String aclLine(Role role, Set<String> commands) {
        return "ACL SETUSER " + userName(role) + " reset on >CHANGE_ME ~tally:* resetchannels -@all "
                + commands.stream().map(c -> "+" + c).collect(Collectors.joining(" "));
    }

    /** The words of the {@code ACL SETUSER tally-<role> ...} line in docs/operations.md. */
    static List<String> documentedAclSetUser(Role role) throws IOException {
        String start = "ACL SETUSER " + userName(role) + " ";
        for (String line : Files.readAllLines(OPERATIONS_DOC)) {
            String l = line.strip();
            if (l.startsWith(start)) {
                return List.of(l.split("\\s+"));
            }
        }
        throw new AssertionError("docs/operations.md has no line starting with '" + start + "'");
    }

    private static Set<String> grantedCommands(List<String> words) {
        assertThat(words).as("a user with nothing but the keys of the namespace and its commands")
                .contains("reset", "on", ">CHANGE_ME", "~tally:*", "resetchannels", "-@all");
        return words.stream().filter(w -> w.startsWith("+")).map(w -> w.substring(1)).collect(Collectors.toCollection(TreeSet::new));
    }

    private static final Pattern CALL = Pattern.compile(
            "(?:call|pcall)\\(\\s*'([A-Za-z]+)'(?:\\s*,\\s*'([A-Za-z]+)')?|args = \\{'([A-Z]+)'");
    private static final Set<String> WITH_SUBCOMMANDS = Set.of("xgroup", "xinfo", "script", "client", "config");

    /** Names of Tally's scripts, as {@code LuaScript.resource} takes them. */
    private static List<String> scriptNames() throws IOException {
        try (Stream<Path> files = Files.list(LUA)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".lua"))
                    .map(f -> f.substring(0, f.length() - ".lua".length())).sorted().toList();
        }
    }

    /** The commands a script's source names (every branch), as commandstats names them. */
    private static Set<String> commandsOf(String source) {
        Set<String> commands = new TreeSet<>();
        Matcher m = CALL.matcher(source);
        while (m.find()) {
            String cmd = (m.group(1) != null ? m.group(1) : m.group(3)).toLowerCase(java.util.Locale.ROOT);
            if (WITH_SUBCOMMANDS.contains(cmd) && m.group(2) != null) {
                cmd += "|" + m.group(2).toLowerCase(java.util.Locale.ROOT);
            }
            commands.add(cmd);
        }
        return commands;
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
