package io.tally.it.resilience;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Makes a throwaway certificate authority and a server certificate for 127.0.0.1 with openssl. */
final class Tls {
    private Tls() {
    }

    record Files(Path caCert, Path serverCert, Path serverKey) {
    }

    /**
     * Fails the calling test (never skips it) when openssl is missing or redis-server was built without
     * TLS: a green build must mean the TLS test ran.
     */
    static void requireTools() {
        if (!opensslAvailable()) {
            throw new IllegalStateException("openssl is not on the PATH; install it (apt-get install -y openssl): "
                    + "this test makes its certificates with it");
        }
        if (!redisSupportsTls()) {
            throw new IllegalStateException("this redis-server build has no TLS support (not linked with OpenSSL); "
                    + "install one that has (Debian's redis-server is)");
        }
    }

    static boolean opensslAvailable() {
        return run(List.of("openssl", "version")).startsWith("OpenSSL");
    }

    /** True when redis-server is linked with OpenSSL (Debian's build is; a minimal build may not be). */
    static boolean redisSupportsTls() {
        String path = run(List.of("sh", "-c", "command -v redis-server")).strip();
        return !path.isEmpty() && run(List.of("ldd", path)).contains("libssl");
    }

    static Files generate(Path dir) throws IOException {
        java.nio.file.Files.createDirectories(dir);
        Path caKey = dir.resolve("ca.key");
        Path ca = dir.resolve("ca.pem");
        Path key = dir.resolve("server.key");
        Path csr = dir.resolve("server.csr");
        Path cert = dir.resolve("server.pem");
        Path ext = java.nio.file.Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        check(run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey.toString(),
                "-out", ca.toString(), "-days", "2", "-subj", "/CN=Tally test CA")), ca);
        check(run(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", csr.toString(), "-subj", "/CN=127.0.0.1")), csr);
        check(run(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString())), cert);
        return new Files(ca, cert, key);
    }

    private static void check(String output, Path expected) {
        if (!java.nio.file.Files.exists(expected)) {
            throw new IllegalStateException("openssl did not write " + expected + ": " + output);
        }
    }

    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
