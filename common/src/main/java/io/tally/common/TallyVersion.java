package io.tally.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this build ({@code tally --version}, logs), from {@code tally/version.properties},
 * which Maven fills in with the project version when it builds the jar.
 */
public final class TallyVersion {
    private static final String RESOURCE = "tally/version.properties";
    private static final String VERSION = load();

    private TallyVersion() {
    }

    /**
     * The project version this jar was built as.
     *
     * @return e.g. {@code 0.1.0} or {@code 0.2.0-SNAPSHOT}
     */
    public static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = TallyVersion.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the class path: a broken build");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
