package io.tally.processor.resilience;

import io.tally.processor.resilience.AclScenario.RedisUser;
import io.tally.processor.resilience.AclScenario.Role;
import io.tally.testsupport.RedisServer;
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
     * Commands a role needs on a path the scenario cannot reach in a test's time, with the reason. Each
     * must be in a script the role runs, which {@link #everyCommandOfTheScriptsIsGrantedToSomeone} checks.
     */
    static final Map<Role, Set<String>> UNREACHED = Map.of(
            Role.PRODUCER, Set.of(),
            // consumers_gc.lua deletes a dead processor's consumer once it is idle for 60 s or 3 lease TTLs
            Role.PROCESSOR, Set.of("xgroup|delconsumer"));

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
        assertThat(Resp.send(server.port(), "ACL", "SETUSER", "admin", "on", ">" + adminPassword, "~*", "&*", "+@all"))
                .isEqualTo("+OK");
        assertThat(Resp.send(server.port(), "ACL", "SETUSER", "default", "off")).isEqualTo("+OK");
        try (AdminLink admin = AdminLink.open(server.port(), "admin", adminPassword)) {
            // 1. derive: each role's windows under users allowed everything
            RedisUser openProducer = openUser(admin, "open-producer");
            RedisUser openProcessor = openUser(admin, "open-processor");
            Derivation derived = new Derivation(admin);
            new AclScenario(server.port(), openProducer, openProcessor, admin, derived, tmp).run();
            Map<Role, Set<String>> needed = derived.commands();
            Map<Role, Set<String>> documented = new EnumMap<>(Role.class);
            for (Role role : Role.values()) {
                documented.put(role, grantedCommands(documentedAclSetUser(role)));
            }
            assertThat(documented).as("docs/operations.md's lines must grant exactly what each role sends; derived:%n%s%n%s",
                    aclLine(Role.PRODUCER, needed.get(Role.PRODUCER)), aclLine(Role.PROCESSOR, needed.get(Role.PROCESSOR)))
                    .isEqualTo(needed);

            // 2. the same paths under the documented users, default user off
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
    }

    @Test
    void everyCommandOfTheScriptsIsGrantedToSomeone() throws IOException {
        Set<String> granted = new TreeSet<>();
        for (Role role : Role.values()) {
            granted.addAll(grantedCommands(documentedAclSetUser(role)));
        }
        // repair_stream_ids.lua runs under an operator's admin user (docs/operations.md)
        List<String> scripts = scripts().stream().filter(f -> !f.equals("repair_stream_ids.lua")).toList();
        assertThat(granted).as("every command a script calls is granted to some documented user")
                .containsAll(scriptCommands(scripts.toArray(String[]::new)));
    }

    /** Records each role's commands over its windows. */
    private static final class Derivation implements AclScenario.Windows {
        private final AdminLink admin;
        private final Map<Role, Set<String>> commands = new EnumMap<>(Role.class);
        private Role current;

        Derivation(AdminLink admin) {
            this.admin = admin;
            for (Role r : Role.values()) {
                commands.put(r, new TreeSet<>(UNREACHED.get(r)));
            }
        }

        @Override
        public void begin(Role role) {
            current = role;
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
        }

        Map<Role, Set<String>> commands() {
            return commands;
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

    private static List<String> scripts() throws IOException {
        try (Stream<Path> files = Files.list(LUA)) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".lua")).sorted().toList();
        }
    }

    private static Set<String> scriptCommands(String... names) throws IOException {
        Set<String> commands = new TreeSet<>();
        for (String name : names) {
            Matcher m = CALL.matcher(Files.readString(LUA.resolve(name)));
            while (m.find()) {
                String cmd = (m.group(1) != null ? m.group(1) : m.group(3)).toLowerCase(java.util.Locale.ROOT);
                if (WITH_SUBCOMMANDS.contains(cmd) && m.group(2) != null) {
                    cmd += "|" + m.group(2).toLowerCase(java.util.Locale.ROOT);
                }
                commands.add(cmd);
            }
        }
        return commands;
    }

    private static String secret() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
