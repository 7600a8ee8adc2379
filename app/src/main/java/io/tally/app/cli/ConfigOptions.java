package io.tally.app.cli;

import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The configuration flags of a command: one flag per key of the {@link ConfigScope}s the command reads
 * ({@link ReadsConfig}, {@link ConfigScope#CONNECTION} always), named as in the README's configuration
 * table and shown in the command's help in one section per scope. Unset flags fall back to the
 * {@code TALLY_*} environment, then to the defaults. Passwords and tokens come only from the environment
 * or a file, never from a flag. The flags are added to each command by {@link #install} when the command
 * line is built.
 */
public final class ConfigOptions implements EnvAware {
    @Option(names = "--verbose", order = Cli.ORDER_LAST - 1, description = "On a failure, print the stack trace after the one-line message.")
    boolean verbose;

    private final Map<String, String> flags = new LinkedHashMap<>();
    private Map<String, String> env = System.getenv();

    @Override
    public void env(Map<String, String> env) {
        this.env = env;
    }

    public Map<String, String> env() {
        return env;
    }

    /** A builder with the environment and these flags applied; callers may set more keys. */
    public TallyConfig.Builder builder() {
        TallyConfig.Builder b = TallyConfig.builder().env(env);
        flags.forEach(b::flag);
        return b;
    }

    public TallyConfig config() {
        return builder().build();
    }

    /** True when a Redis URL was given by flag or environment (not just the default). */
    public boolean redisUrlGiven() {
        return flags.containsKey(TallyConfig.REDIS_URL.name()) || env.get(TallyConfig.REDIS_URL.env()) != null;
    }

    /** The flags that were given, by config key name. */
    Map<String, String> flags() {
        return Collections.unmodifiableMap(flags);
    }

    /**
     * Adds the configuration flags to every command of the tree under {@code cmd} that has this mixin:
     * the keys of the scopes its class (or a superclass) names in {@link ReadsConfig}, plus the connection.
     */
    static void install(CommandLine cmd) {
        for (CommandSpec mixin : cmd.getCommandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ConfigOptions options) {
                options.addTo(cmd.getCommandSpec(), scopes(cmd.getCommandSpec().userObject().getClass()));
            }
        }
        cmd.getSubcommands().values().forEach(ConfigOptions::install);
    }

    /** The scopes a command class reads: {@link ConfigScope#CONNECTION} and those of its {@link ReadsConfig}s. */
    static Set<ConfigScope> scopes(Class<?> command) {
        Set<ConfigScope> scopes = new LinkedHashSet<>(List.of(ConfigScope.CONNECTION));
        for (Class<?> c = command; c != null; c = c.getSuperclass()) {
            ReadsConfig reads = c.getAnnotation(ReadsConfig.class);
            if (reads != null) {
                scopes.addAll(List.of(reads.value()));
            }
        }
        return scopes;
    }

    /** The keys a command class accepts as flags, in help order. */
    static List<ConfigKey<?>> keys(Class<?> command) {
        Set<ConfigKey<?>> keys = new LinkedHashSet<>();
        scopes(command).forEach(s -> keys.addAll(s.keys()));
        return new ArrayList<>(keys);
    }

    private void addTo(CommandSpec spec, Set<ConfigScope> scopes) {
        Set<ConfigKey<?>> added = new LinkedHashSet<>();
        for (ConfigScope scope : scopes) {
            ArgGroupSpec.Builder group = ArgGroupSpec.builder().heading(scope.heading() + ":%n").exclusive(false).validate(false).multiplicity("0..1");
            int count = 0;
            for (ConfigKey<?> key : scope.keys()) {
                if (!key.secret() && added.add(key)) {
                    group.addArg(option(key));
                    count++;
                }
            }
            if (count > 0) {
                spec.addArgGroup(group.build());
            }
        }
    }

    private OptionSpec option(ConfigKey<?> key) {
        List<String> names = new ArrayList<>(ConfigScope.ALIASES.getOrDefault(key, List.of()));
        names.add(0, key.flag());
        boolean bool = key.defaultValue() instanceof Boolean;
        Binding binding = new Binding(key.name(), bool);
        OptionSpec.Builder b = OptionSpec.builder(names.toArray(String[]::new))
                .description(describe(key))
                // a boolean flag alone is true; with a value (--producer-idempotence false) it can also turn
                // a key that defaults to true off
                .type(bool ? Boolean.class : String.class)
                .arity(bool ? "0..1" : "1")
                .getter(binding).setter(binding);
        if (!bool) {
            b.paramLabel(paramLabel(key));
        }
        return b.build();
    }

    /** The key's doc, its variable and default; '%' doubled, since picocli formats descriptions. */
    static String describe(ConfigKey<?> key) {
        Object def = key.defaultValue();
        Object shown = def instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : def;
        String defaults = shown == null || shown.toString().isEmpty() ? "" : ", default " + shown;
        return (key.doc() + " (" + key.env() + defaults + ")").replace("%", "%%");
    }

    private static String paramLabel(ConfigKey<?> key) {
        String name = key.name();
        if (name.endsWith("-ms")) {
            return "MS";
        }
        if (name.endsWith("-file")) {
            return "FILE";
        }
        if (name.endsWith("-bytes")) {
            return "BYTES";
        }
        if (name.endsWith("-url")) {
            return "URL";
        }
        Object def = key.defaultValue();
        if (def instanceof Number) {
            return "N";
        }
        String last = name.substring(name.lastIndexOf('-') + 1);
        return last.toUpperCase(Locale.ROOT);
    }

    /** Stores a flag's raw value under its key's name; picocli resets it to null before each parse. */
    private final class Binding implements IGetter, ISetter {
        private final String name;
        private final boolean bool;

        Binding(String name, boolean bool) {
            this.name = name;
            this.bool = bool;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T get() {
            String v = flags.get(name);
            return (T) (bool && v != null ? (Object) Boolean.valueOf(v) : v);
        }

        @Override
        public <T> T set(T value) {
            T old = get();
            if (value == null) {
                flags.remove(name);
            } else {
                flags.put(name, value.toString());
            }
            return old;
        }
    }
}
