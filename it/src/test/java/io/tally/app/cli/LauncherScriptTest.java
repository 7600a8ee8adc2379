package io.tally.app.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code tally} launcher script, run by bash in a copy of the repository layout, with {@code mvn} and
 * {@code java} replaced by scripts that record how they were called: what it builds, when, and what it runs.
 */
class LauncherScriptTest {
    private static final Path LAUNCHER = Path.of("..", "tally").toAbsolutePath().normalize();

    @TempDir
    Path root;
    private Path bin;

    @BeforeEach
    void layout() throws IOException {
        Files.copy(LAUNCHER, root.resolve("tally"));
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        for (String module : List.of("common", "producer", "processor", "app")) {
            Files.createDirectories(root.resolve(module + "/src/main/java"));
            Files.writeString(root.resolve(module + "/pom.xml"), "<project/>");
            Files.writeString(root.resolve(module + "/src/main/java/A.java"), "class A {}");
        }
        bin = Files.createDirectories(root.resolve("fake-bin"));
        // mvn: records its arguments, prints module progress among other lines, and makes both jars.
        script("mvn", "echo \"$@\" >> \"$ROOT/mvn-calls\"\n"
                + "echo '[INFO] Scanning for projects...'\n"
                + "echo '[INFO] Building Tally common 0.1.0-SNAPSHOT                 [1/3]'\n"
                + "echo '[INFO] --- compiler:3.13.0:compile (default-compile) @ tally-common ---'\n"
                + "echo '[INFO] Building Tally processor 0.1.0-SNAPSHOT              [3/3]'\n"
                + "echo '[INFO] BUILD SUCCESS'\n"
                + "mkdir -p app/target\n"
                + "touch app/target/tally.jar\n");
        // java: writes the class-data archive it is asked to write at exit, and prints how it was called.
        script("java", "for a in \"$@\"; do case $a in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done\n"
                + "echo \"java $*\"\n");
    }

    @Test
    void missingJar_buildsTheApplicationAndTheLibrariesItNeeds_showingOneLinePerModule_withoutColour() throws Exception {
        Result r = launch("--help");
        assertThat(r.code).as(r.err).isZero();
        assertThat(mvnCalls()).containsExactly("-Dstyle.color=never -B -ntp -DskipTests -pl app -am package");
        assertThat(r.err).contains("tally: building (app/target/tally.jar is missing)")
                .contains("[INFO] Building Tally common 0.1.0-SNAPSHOT                 [1/3]")
                .contains("[INFO] Building Tally processor").contains("BUILD SUCCESS")
                .doesNotContain("compiler:3.13.0").doesNotContain("Scanning");
        assertThat(r.out.strip()).startsWith("java -Xlog:disable").endsWith(" -jar " + root.toRealPath()
                + "/app/target/tally.jar --help");
    }

    @Test
    void upToDateJar_runsWithoutBuilding() throws Exception {
        jarsAt(Instant.now().plusSeconds(60));
        Result r = launch("get", "c");
        assertThat(r.code).as(r.err).isZero();
        assertThat(mvnCalls()).isEmpty();
        assertThat(r.err).isEmpty();
        assertThat(r.out.strip()).endsWith("/app/target/tally.jar get c");
    }

    @Test
    void sourceNewerThanTheJar_rebuilds_namingTheFile() throws Exception {
        jarsAt(Instant.now().plusSeconds(60));
        Files.setLastModifiedTime(root.resolve("common/src/main/java/A.java"), FileTime.from(Instant.now().plusSeconds(120)));
        Result r = launch("status");
        assertThat(r.code).as(r.err).isZero();
        assertThat(mvnCalls()).hasSize(1);
        assertThat(r.err).startsWith("tally: building (common/src/main/java/A.java is newer than "
                + "app/target/tally.jar)").contains("BUILD SUCCESS");
    }

    @Test
    void serve_runsFromTheSameJar() throws Exception {
        Result r = launch("serve", "--port", "8080");
        assertThat(r.code).as(r.err).isZero();
        assertThat(mvnCalls()).containsExactly("-Dstyle.color=never -B -ntp -DskipTests -pl app -am package");
        assertThat(r.out.strip()).endsWith("/app/target/tally.jar serve --port 8080");
    }

    @Test
    void aShortCommand_writesTheClassDataArchiveOnItsFirstRun_andLaterRunsStartFromIt() throws Exception {
        jarsAt(Instant.now().minusSeconds(60));
        String real = root.toRealPath().toString();
        Result first = launch("get", "c");
        assertThat(first.code).as(first.err).isZero();
        assertThat(first.out.strip()).matches("java -Xlog:disable -Xlog:all=warning:stderr -Xlog:cds\\*=off:stderr "
                + "-XX:TieredStopAtLevel=1 -XX:\\+UseSerialGC -XX:ArchiveClassesAtExit=" + real
                + "/app/target/tally.jsa.\\d+.tmp -jar " + real + "/app/target/tally.jar get c");
        assertThat(root.resolve("app/target/tally.jsa")).hasContent("archive");
        try (var files = Files.list(root.resolve("app/target"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("tally.jar", "tally.jsa");
        }
        Result second = launch("incr", "c");
        assertThat(second.out.strip()).isEqualTo("java -Xlog:disable -Xlog:all=warning:stderr -Xlog:cds*=off:stderr "
                + "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:SharedArchiveFile=" + real + "/app/target/tally.jsa -jar "
                + real + "/app/target/tally.jar incr c");
    }

    @Test
    void aFirstRunEndedBySigterm_leavesNoHalfWrittenArchiveBehind() throws Exception {
        jarsAt(Instant.now().minusSeconds(60));
        // java: writes the archive it is asked for (as the JVM does on its way out), then runs until signalled
        script("java", "for a in \"$@\"; do case $a in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done\n"
                + "echo started > \"$ROOT/started\"\n"
                + "sleep 30\n");
        List<String> cmd = List.of("setsid", "bash", root.resolve("tally").toString(), "get", "c");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("ROOT", root.toString());
        Process launcher = pb.redirectErrorStream(true).redirectOutput(root.resolve("out.txt").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.exists(root.resolve("started")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // the whole process group, as a service manager or `timeout` ends a command
            Process kill = new ProcessBuilder("kill", "-TERM", "--", "-" + launcher.pid()).start();
            assertThat(kill.waitFor()).isZero();
            assertThat(launcher.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(launcher.exitValue()).isEqualTo(143);
        } finally {
            launcher.destroyForcibly();
        }
        try (var files = Files.list(root.resolve("app/target"))) {
            assertThat(files.map(f -> f.getFileName().toString())).as("a .tmp archive is 24 MB left in app/target")
                    .containsExactly("tally.jar");
        }
    }

    @Test
    void anArchiveOlderThanTheJar_isWrittenAgain_andAJavaOptsCollectorIsKept() throws Exception {
        jarsAt(Instant.now().minusSeconds(60));
        Path jsa = root.resolve("app/target/tally.jsa");
        Files.writeString(jsa, "old");
        Files.setLastModifiedTime(jsa, FileTime.from(Instant.now().minusSeconds(120)));
        Result r = launch("status");
        assertThat(r.out).contains("-XX:ArchiveClassesAtExit=");
        assertThat(jsa).hasContent("archive");
        Result g1 = launchWith(java.util.Map.of("JAVA_OPTS", "-XX:+UseG1GC -Xmx64m"), "get", "c");
        assertThat(g1.out.strip()).contains("-XX:SharedArchiveFile=").doesNotContain("UseSerialGC")
                .endsWith("-XX:+UseG1GC -Xmx64m -jar " + root.toRealPath() + "/app/target/tally.jar get c");
    }

    @Test
    void longRunningCommands_keepTheJvmsDefaults() throws Exception {
        jarsAt(Instant.now().minusSeconds(60));
        for (String command : List.of("processor", "serve", "demo", "loadgen")) {
            Result r = launch(command);
            assertThat(r.out.strip()).as(command).isEqualTo("java -jar " + root.toRealPath() + "/app/target/tally.jar "
                    + command);
        }
        assertThat(root.resolve("app/target/tally.jsa")).doesNotExist();
    }

    @Test
    void failedBuild_exits1_pointingToTheLog() throws Exception {
        script("mvn", "echo '[ERROR] COMPILATION ERROR : A.java:[1,1] oops'\nexit 1\n");
        Result r = launch("get", "c");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("[ERROR] COMPILATION ERROR : A.java:[1,1] oops")
                .contains("tally: the build failed (exit 1); the errors are above, the full log in target/tally-build.log");
        assertThat(r.out).isEmpty();
    }

    private void jarsAt(Instant time) throws IOException {
        for (String jar : List.of("app/target/tally.jar")) {
            Path p = root.resolve(jar);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "jar");
            Files.setLastModifiedTime(p, FileTime.from(time));
        }
    }

    private void script(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/usr/bin/env bash\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private List<String> mvnCalls() throws IOException {
        Path calls = root.resolve("mvn-calls");
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private Result launch(String... args) throws Exception {
        return launchWith(java.util.Map.of(), args);
    }

    private Result launchWith(java.util.Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", root.resolve("tally").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("ROOT", root.toString());
        pb.redirectErrorStream(false);
        Path out = root.resolve("out.txt");
        Path err = root.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private record Result(int code, String out, String err) {
    }
}
