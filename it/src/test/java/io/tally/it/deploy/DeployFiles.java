package io.tally.it.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

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
import java.util.stream.Stream;

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

    /** Every object of the Kubernetes manifests in deploy/k8s, in file order. */
    static List<JsonNode> k8sObjects() {
        List<JsonNode> docs = new ArrayList<>();
        YAMLMapper yaml = new YAMLMapper();
        try (Stream<Path> files = Files.list(file("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (MappingIterator<JsonNode> it = yaml.readerFor(JsonNode.class).readValues(f.toFile())) {
                    it.readAll().stream().filter(d -> !d.isNull() && !d.isEmpty()).forEach(docs::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return docs;
    }

    /** The object of that kind and name in deploy/k8s. */
    static JsonNode k8sObject(List<JsonNode> docs, String kind, String name) {
        return docs.stream()
                .filter(d -> d.path("kind").asText().equals(kind) && d.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in deploy/k8s"));
    }

    /** deploy/compose/docker-compose.yml, parsed. */
    static JsonNode compose() {
        try {
            return new YAMLMapper().readTree(file("compose/docker-compose.yml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(String relative) {
        try {
            return Files.readString(file(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
