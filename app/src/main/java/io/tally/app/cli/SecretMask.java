package io.tally.app.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A command line made fit to print back: the password of a URL ({@code redis://user:PASSWORD@host}) and the
 * value of a flag named like a secret ({@code --redis-password X}, {@code --api-token=X}) become {@code ***},
 * so that an error message never carries a secret the user mistyped into argv to a terminal or a log.
 */
final class SecretMask {
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@\\s]*):[^@/\\s]*@");
    private static final List<String> SECRET_WORDS = List.of("password", "passwd", "token", "secret");
    private static final String MASK = "***";

    private SecretMask() {
    }

    static List<String> args(String... args) {
        List<String> out = new ArrayList<>(args.length);
        boolean valueIsSecret = false;
        for (String arg : args) {
            if (valueIsSecret && !arg.startsWith("-")) {
                out.add(MASK);
                valueIsSecret = false;
                continue;
            }
            valueIsSecret = false;
            int eq = arg.indexOf('=');
            String flag = arg.startsWith("-") && eq > 0 ? arg.substring(0, eq) : arg;
            if (arg.startsWith("-") && secretName(flag)) {
                if (eq > 0) {
                    out.add(flag + "=" + MASK);
                } else {
                    out.add(arg);
                    valueIsSecret = true;
                }
                continue;
            }
            out.add(URL_PASSWORD.matcher(arg).replaceAll("$1:" + MASK + "@"));
        }
        return out;
    }

    /** A flag that names a secret; a file of one ({@code --redis-password-file}) is a path, shown as given. */
    private static boolean secretName(String flag) {
        String name = flag.toLowerCase(Locale.ROOT);
        return !name.endsWith("-file") && SECRET_WORDS.stream().anyMatch(name::contains);
    }
}
