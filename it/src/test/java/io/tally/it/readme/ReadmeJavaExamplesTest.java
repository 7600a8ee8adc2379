package io.tally.it.readme;

import io.tally.common.config.TallyConfig;
import io.tally.producer.internal.read.RedisTallyReader;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.api.RedissonClient;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's Java examples compile as shown, and the first one runs against a real Redis.
 *
 * <p>Each {@code ```java} block of README.md is one example: its {@code import} lines, then statements.
 * The test wraps the statements, unchanged, in {@code public static void main(String[] args) throws
 * Exception} of a class {@code ReadmeExampleN} (N counting the blocks from 0) below the imports, and
 * compiles every block with {@code javax.tools} against this module's test class path, which holds the
 * three libraries. It then runs {@code ReadmeExample0} in a JVM of its own, whose environment points
 * {@code TallyConfig.fromEnv(System.getenv())} at this test's redis-server and a fresh namespace: the
 * example starts a processor, sends, waits until its send is applied and prints the value it reads back.
 */
@ExtendWith(RealRedisExtension.class)
class ReadmeJavaExamplesTest {
    private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL);

    @Test
    void everyJavaExampleCompiles(@TempDir Path classes) throws IOException {
        List<String> blocks = javaBlocks();
        assertThat(blocks).as("README.md has Java examples").hasSizeGreaterThanOrEqualTo(2);
        compile(blocks, classes);
        for (int i = 0; i < blocks.size(); i++) {
            assertThat(classes.resolve(className(i) + ".class")).exists();
        }
    }

    @Test
    void theFirstExampleSendsAndReadsItsValueBack(TestRedis redis, @TempDir Path classes) throws Exception {
        compile(javaBlocks().subList(0, 1), classes);
        TallyConfig config = redis.configWithoutNamespace(4).build();

        ProcessBuilder run = new ProcessBuilder(javaBinary(), "-cp",
                classes + File.pathSeparator + System.getProperty("java.class.path"), className(0))
                .redirectErrorStream(true);
        run.environment().put("TALLY_REDIS_URL", config.redisUrl());
        run.environment().put("TALLY_NAMESPACE", config.namespace());
        run.environment().put("TALLY_PARTITIONS", "4");
        Process process = run.start();
        boolean exited = process.waitFor(90, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            process.destroyForcibly();
        }

        assertThat(exited).as("the example finished; its output:%n%s", output).isTrue();
        assertThat(process.exitValue()).as("exit code; output:%n%s", output).isZero();
        assertThat(output.lines()).as("the value the example read back").contains("orders = 1");
        RedissonClient client = redis.client();
        try {
            RedisTallyReader reader = RedisTallyReader.open(client, config);
            assertThat(reader.counter("orders").value()).isEqualTo(1);
        } finally {
            client.shutdown();
        }
    }

    private static List<String> javaBlocks() throws IOException {
        Matcher m = JAVA_BLOCK.matcher(Files.readString(readme()));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** README.md at the repository's root: the first one found walking up from the working directory. */
    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("README.md");
            if (Files.exists(candidate) && Files.exists(dir.resolve("it"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no README.md above " + Path.of("").toAbsolutePath());
    }

    /** Imports stay at the top; every other line becomes the body of {@code main}. */
    static String wrap(String block, String className) {
        List<String> imports = new ArrayList<>();
        List<String> body = new ArrayList<>();
        for (String line : block.split("\n", -1)) {
            (line.startsWith("import ") ? imports : body).add(line);
        }
        return String.join("\n", imports) + "\n\npublic class " + className + " {\n"
                + "    public static void main(String[] args) throws Exception {\n"
                + body.stream().map(l -> "        " + l).collect(Collectors.joining("\n")) + "\n    }\n}\n";
    }

    private static void compile(List<String> blocks, Path classes) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<JavaFileObject> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            sources.add(new Source(className(i), wrap(blocks.get(i), className(i))));
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean ok = javac.getTask(null, null, diagnostics, List.of("-d", classes.toString(), "-classpath",
                System.getProperty("java.class.path"), "--release", "17"), null, sources).call();
        String errors = diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(d -> d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(null))
                .collect(Collectors.joining("\n"));
        assertThat(ok).as("README's Java examples compile (as wrapped by this test):%n%s", errors).isTrue();
    }

    private static String className(int block) {
        return "ReadmeExample" + block;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** A source file held in memory. */
    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className + ".java"), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
