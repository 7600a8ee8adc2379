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
 * constant time, so neither timing nor a heap dump gives a token away. Tokens are never logged.
 */
public final class ApiTokens {
    /** Shortest token accepted: 16 characters of a random hex string are 64 bits, beyond guessing online. */
    public static final int MIN_LENGTH = 16;

    private final List<byte[]> digests;
    private final boolean insecure;

    private ApiTokens(List<byte[]> digests, boolean insecure) {
        this.digests = List.copyOf(digests);
        this.insecure = insecure;
    }

    /**
     * The tokens of a configuration.
     *
     * @throws ConfigException when no token is configured and {@code --insecure} is not set, a token is
     *                         shorter than {@link #MIN_LENGTH}, or the tokens file cannot be read
     */
    public static ApiTokens from(TallyConfig config) {
        List<String> tokens = new ArrayList<>();
        String[] fromEnv = config.get(TallyConfig.API_TOKENS).split(",");
        for (int i = 0; i < fromEnv.length; i++) {
            if (!fromEnv[i].isBlank()) {
                tokens.add(checked(fromEnv[i].strip(), "token " + (i + 1) + " of " + TallyConfig.API_TOKENS.env()));
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
        return new ApiTokens(tokens.stream().map(ApiTokens::digest).toList(), insecure && tokens.isEmpty());
    }

    /** True when no token is configured and every request is let in. */
    public boolean insecure() {
        return insecure;
    }

    public int count() {
        return digests.size();
    }

    /** Whether an {@code Authorization} header value carries an accepted bearer token. */
    boolean accepts(String authorization) {
        if (insecure) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = digest(authorization.substring(7).strip());
        boolean ok = false;
        for (byte[] d : digests) {
            ok |= MessageDigest.isEqual(d, presented);
        }
        return ok;
    }

    private static List<String> readFile(Path file) {
        List<String> lines = SecretFile.readLines(file, TallyConfig.API_TOKENS_FILE.flag());
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                tokens.add(checked(line, "the token on line " + (i + 1) + " of " + TallyConfig.API_TOKENS_FILE.flag()
                        + " " + file));
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
