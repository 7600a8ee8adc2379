package io.tally.common.internal.redis;

import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every script Tally runs is its resource with the {@code --#include} lines replaced by their
 * fragments: Redis, given the assembled text, answers the SHA that {@link LuaScript} calls by, no
 * include line is left, no helper is defined twice in one script, and every fragment is used.
 */
@ExtendWith(RealRedisExtension.class)
class LuaScriptsAssembledTest {
    private static final Path LUA = Path.of("..", "common", "src", "main", "resources", "tally", "lua");
    private static final Pattern LOCAL_FUNCTION = Pattern.compile("(?m)^local function ([a-z_0-9]+)\\(");
    private static final Pattern INCLUDE = Pattern.compile("(?m)^--#include ([a-z_0-9]+)$");

    @Test
    void redisRunsTheAssembledTextOfEveryScript(TestRedis redis) throws IOException {
        List<String> names = names(LUA);
        assertThat(names).contains("apply", "apply_counters", "time_fire", "retention", "dead_letter_entry");
        for (String name : names) {
            LuaScript script = LuaScript.resource(name);
            assertThat(script.source()).as(name).doesNotContain("--#include");
            assertThat(redis.client().getScript().scriptLoad(script.source())).as(name).isEqualTo(script.sha());
        }
    }

    @Test
    void noScriptDefinesAHelperTwice() throws IOException {
        for (String name : names(LUA)) {
            Set<String> seen = new HashSet<>();
            Matcher m = LOCAL_FUNCTION.matcher(LuaScript.resource(name).source());
            while (m.find()) {
                assertThat(seen.add(m.group(1))).as("%s defines %s once", name, m.group(1)).isTrue();
            }
        }
    }

    /** include/acl.lua names the script in its NOPERM refusals by the SCRIPT local the script sets before it. */
    @Test
    void everyScriptIncludingAclNamesItselfJustBefore() throws IOException {
        int including = 0;
        for (String name : names(LUA)) {
            String text = Files.readString(LUA.resolve(name + ".lua"));
            if (text.contains("--#include acl\n")) {
                including++;
                assertThat(text).as(name).contains("local SCRIPT = '" + name + ".lua'\n--#include acl\n");
            }
        }
        assertThat(including).isGreaterThanOrEqualTo(14);
    }

    @Test
    void everyFragmentIsIncludedSomewhere() throws IOException {
        Set<String> included = new HashSet<>();
        for (Path dir : List.of(LUA, LUA.resolve("include"))) {
            for (String name : names(dir)) {
                Matcher m = INCLUDE.matcher(Files.readString(dir.resolve(name + ".lua")));
                while (m.find()) {
                    included.add(m.group(1));
                }
            }
        }
        assertThat(included).containsExactlyInAnyOrderElementsOf(names(LUA.resolve("include")));
    }

    @Test
    void aMissingOrTwiceIncludedFragmentIsRefusedAtLoad() {
        assertThatThrownBy(() -> LuaScript.assemble("--#include nothing_here\nreturn 1"))
                .hasMessageContaining("missing script resource tally/lua/include/nothing_here.lua");
        assertThatThrownBy(() -> LuaScript.assemble("--#include ../apply\n"))
                .hasMessageContaining("bad include line");
        // apply_batch includes dead_letter: a script including both would define its helper twice
        assertThatThrownBy(() -> LuaScript.assemble("--#include dead_letter\n--#include apply_batch\n"))
                .hasMessageContaining("fragment dead_letter is included twice");
        assertThat(LuaScript.assemble("local a = 1\n--#include ids\nreturn a")).startsWith("local a = 1\n-- Stream ids")
                .endsWith("\nreturn a").doesNotContain("--#include");
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".lua"))
                    .map(f -> f.substring(0, f.length() - ".lua".length())).sorted().forEach(out::add);
            return out;
        }
    }
}
