package io.tally.it.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's deploy/ folder and the external tools that check it. */
final class DeployFiles {
    /** Metric names in PromQL: Tally's, JVM and process metrics, Redis exporter's, and {@code up}. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:tally|jvm|process|redis)_[a-z0-9_]+|up)\\b(?![\"-])");

    private DeployFiles() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy")) && Files.exists(p.resolve("pom.xml"))) {
                return p.resolve("deploy");
            }
        }
        throw new IllegalStateException("deploy/ not found above " + Path.of("").toAbsolutePath());
    }

    static Path file(String relative) {
        return root().resolve(relative);
    }

    /**
     * The executable on PATH; when absent the test fails (never skips) with a message naming the
     * package, so that a green build means every check ran.
     */
    static Path tool(String name, String debianPackage) {
        return findTool(name).orElseThrow(() -> new IllegalStateException(
                name + " not found on PATH; install it (apt-get install -y " + debianPackage + "): this check needs it"));
    }

    static Optional<Path> findTool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Exit code and combined output of a command (at most 60 s). */
    record Result(int exitCode, String output) {
    }

    static Result run(Path workDir, String... command) {
        try {
            Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Metric names used in PromQL text (alert expressions, dashboard targets). */
    static List<String> metricNames(String promql) {
        List<String> names = new ArrayList<>();
        Matcher m = METRIC.matcher(promql);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
