package io.tally.app.service;

import io.tally.common.config.ConfigException;
import io.tally.common.internal.config.SecretFile;
import io.tally.common.config.TallyConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The bearer tokens the service accepts, from {@code TALLY_API_TOKENS} and {@code --api-tokens-file}.
 * Only SHA-256 digests are kept, and a presented token is compared with every one of them in
 * constant time, so neither timing nor a heap dump gives a token away. Tokens are never logged: a token is
 * named by its place ({@link #label}: {@code env:2} is the second of {@code TALLY_API_TOKENS}, {@code file:3} the
 * line 3 of {@code --api-tokens-file}), as the errors about a bad token name it.
 */
public final class ApiTokens {
    /** Shortest token accepted: 16 characters of a random hex string are 64 bits, beyond guessing online. */
    public static final int MIN_LENGTH = 16;
    /** The label of the one token every request counts as when {@code --insecure} accepts every request. */
    static final String ANONYMOUS = "anonymous";

    private final List<byte[]> digests;
    private final List<String> labels;
    private final boolean insecure;

    private ApiTokens(List<Placed> tokens, boolean insecure) {
        this.digests = tokens.stream().map(t -> digest(t.token())).toList();
        this.labels = insecure ? List.of(ANONYMOUS) : tokens.stream().map(Placed::label).toList();
        this.insecure = insecure;
    }

    /** A configured token and the label of its place. */
    private record Placed(String token, String label) {
    }

    /**
     * The tokens of a configuration.
     *
     * @throws ConfigException when no token is configured and {@code --insecure} is not set, a token is
     *                         shorter than {@link #MIN_LENGTH}, or the tokens file cannot be read
     */
    public static ApiTokens from(TallyConfig config) {
        List<Placed> tokens = new ArrayList<>();
        String[] fromEnv = config.get(TallyConfig.API_TOKENS).split(",");
        for (int i = 0; i < fromEnv.length; i++) {
            if (!fromEnv[i].isBlank()) {
                tokens.add(new Placed(checked(fromEnv[i].strip(), "token " + (i + 1) + " of "
                        + TallyConfig.API_TOKENS.env()), "env:" + (i + 1)));
            }
        }
        String file = config.get(TallyConfig.API_TOKENS_FILE);
        if (!file.isEmpty()) {
            tokens.addAll(readFile(Path.of(file)));
        }
        boolean insecure = config.get(TallyConfig.API_INSECURE);
        if (tokens.isEmpty() && !insecure) {
            throw new ConfigException("no API token configured; set TALLY_API_TOKENS (comma-separated) or "
                    + "--api-tokens-file FILE, or start with --insecure to accept every request (local trials only)");
        }
        return new ApiTokens(tokens, insecure && tokens.isEmpty());
    }

    /** True when no token is configured and every request is let in. */
    public boolean insecure() {
        return insecure;
    }

    public int count() {
        return digests.size();
    }

    /**
     * The index of the accepted bearer token an {@code Authorization} header value carries, or -1: every
     * digest is compared, in constant time, whichever matches. With {@code --insecure} and no token, every
     * request is the one anonymous token, 0.
     */
    int match(String authorization) {
        if (insecure) {
            return 0;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return -1;
        }
        byte[] presented = digest(authorization.substring(7).strip());
        int matched = -1;
        for (int i = 0; i < digests.size(); i++) {
            boolean equal = MessageDigest.isEqual(digests.get(i), presented);
            matched = equal ? i : matched;
        }
        return matched;
    }

    /**
     * The indices {@link #match} answers, one per token (one in all with {@code --insecure} and no token), are
     * 0 to {@code slots() - 1}.
     */
    int slots() {
        return labels.size();
    }

    /**
     * The token at {@code index} as logs and metrics name it, never the token itself: {@code env:N} for the N-th
     * of {@code TALLY_API_TOKENS}, {@code file:N} for line N of {@code --api-tokens-file}, {@value #ANONYMOUS}
     * with {@code --insecure} and no token.
     */
    String label(int index) {
        return labels.get(index);
    }

    private static List<Placed> readFile(Path file) {
        List<String> lines = SecretFile.readLines(file, TallyConfig.API_TOKENS_FILE.flag());
        List<Placed> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                tokens.add(new Placed(checked(line, "the token on line " + (i + 1) + " of "
                        + TallyConfig.API_TOKENS_FILE.flag() + " " + file), "file:" + (i + 1)));
            }
        }
        return tokens;
    }

    /** The token, when long enough; the message names where it came from, never the token itself. */
    private static String checked(String token, String where) {
        if (token.length() < MIN_LENGTH) {
            throw new ConfigException("Invalid API token: " + where + " has " + token.length() + " characters, at least "
                    + MIN_LENGTH + " are required (a short token can be guessed); generate one with: openssl rand -hex 32");
        }
        return token;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
