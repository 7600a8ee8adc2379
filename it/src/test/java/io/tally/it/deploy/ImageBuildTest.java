package io.tally.it.deploy;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reproduces each Dockerfile's build stage without a Docker engine: copies exactly what the stage
 * COPYs (minus what its .dockerignore excludes: {@code target/}) into an empty folder and runs the
 * stage's {@code mvn} step there, so that a module the root pom lists but the image does not copy
 * breaks this test instead of the image build.
 */
@Tag("slow")
class ImageBuildTest {

    @ParameterizedTest
    @ValueSource(strings = {"processor.Dockerfile", "service.Dockerfile"})
    void buildStage_buildsTheJarFromWhatItCopies(String dockerfile) throws Exception {
        List<String> file = Files.readAllLines(DeployFiles.file("docker/" + dockerfile));
        List<String> lines = buildStage(file);
        Path repo = DeployFiles.root().getParent();
        Path context = Files.createTempDirectory("tally-image-");
        try {
            String mvn = null;
            for (String line : lines) {
                String[] words = line.strip().split("\\s+");
                if (words[0].equals("COPY") && !line.contains("--from=")) {
                    copy(repo.resolve(words[1]), context.resolve(words[2].equals("./") ? words[1] : words[2]));
                } else if (words[0].equals("RUN") && line.contains(" mvn ")) {
                    mvn = line.substring(line.indexOf(" mvn ") + 1);
                }
            }
            assertThat(mvn).as("the build stage of %s runs mvn", dockerfile).isNotNull();
            List<String> command = new ArrayList<>(List.of(mvn.split("\\s+")));
            command.add(1, "-o"); // the machine's ~/.m2 stands in for the image's cache mount
            Process p = new ProcessBuilder(command).directory(context.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("mvn finished").isTrue();
            assertThat(p.exitValue()).as("%s's build step in a folder holding only what it copies:%n%s",
                    dockerfile, output).isZero();
            String jar = copiedJar(file);
            assertThat(context.resolve(jar)).as("the jar the runtime stage copies").isRegularFile();
        } finally {
            delete(context);
        }
    }

    /** The lines of the first stage (up to the second FROM), continuation lines joined. */
    private static List<String> buildStage(List<String> file) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int froms = 0;
        for (String raw : file) {
            String line = raw.strip();
            if (line.startsWith("#") || line.isEmpty()) {
                continue;
            }
            current.append(line.endsWith("\\") ? line.substring(0, line.length() - 1) + " " : line);
            if (line.endsWith("\\")) {
                continue;
            }
            String joined = current.toString();
            current.setLength(0);
            if (joined.startsWith("FROM ") && ++froms == 2) {
                out.add(joined);
                break;
            }
            out.add(joined);
        }
        return out;
    }

    /** The path, relative to the build stage's WORKDIR, of the jar the runtime stage copies from it. */
    private static String copiedJar(List<String> file) {
        String workdir = file.stream().map(String::strip).filter(l -> l.startsWith("WORKDIR "))
                .map(l -> l.substring("WORKDIR ".length()).strip()).findFirst().orElse("/");
        return file.stream().map(String::strip).filter(l -> l.startsWith("COPY --from="))
                .map(l -> l.split("\\s+")[2]).filter(src -> src.startsWith(workdir + "/"))
                .map(src -> src.substring(workdir.length() + 1)).findFirst()
                .orElseThrow(() -> new AssertionError("no COPY --from=build of a jar"));
    }

    private static void copy(Path from, Path to) throws IOException {
        if (!Files.isDirectory(from)) {
            Files.createDirectories(to.getParent());
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path rel = from.relativize(f);
                if (rel.toString().equals("target") || rel.startsWith("target")) {
                    continue; // the .dockerignore excludes **/target
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> {
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
