package io.tally.app.service;

import io.tally.common.config.TallyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ApiTokens#match} gives the index of the token a request carries, and {@link ApiTokens#label} names that
 * token by its place, as the errors about a bad token do, never by the token.
 */
class ApiTokensMatchTest {
    private static final String ENV_1 = "env-token-one-0123456789";
    private static final String ENV_3 = "env-token-three-0123456789";
    private static final String FILE_2 = "file-token-two-0123456789";
    private static final String FILE_4 = "file-token-four-0123456789";

    @Test
    void eachTokenMatchesItsIndex_labelledByItsPlace(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# service tokens\n" + FILE_2 + "\n\n  " + FILE_4 + "  \n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        ApiTokens tokens = ApiTokens.from(TallyConfig.builder().set(TallyConfig.API_TOKENS, ENV_1 + ", ," + ENV_3)
                .set(TallyConfig.API_TOKENS_FILE, file.toString()).build());

        assertThat(tokens.slots()).isEqualTo(4);
        String[] presented = {ENV_1, ENV_3, FILE_2, FILE_4};
        String[] labels = {"env:1", "env:3", "file:2", "file:4"};
        for (int i = 0; i < presented.length; i++) {
            int index = tokens.match("Bearer " + presented[i]);
            assertThat(index).as(labels[i]).isEqualTo(i);
            assertThat(tokens.label(index)).isEqualTo(labels[i]);
        }
        assertThat(tokens.match("bearer  " + FILE_4 + " ")).as("scheme in any case, spaces around").isEqualTo(3);
        assertThat(tokens.match("Bearer " + ENV_1 + "x")).isEqualTo(-1);
        assertThat(tokens.match("Basic " + ENV_1)).isEqualTo(-1);
        assertThat(tokens.match(null)).isEqualTo(-1);
    }

    @Test
    void insecureWithoutTokens_isOneAnonymousToken() {
        ApiTokens tokens = ApiTokens.from(TallyConfig.builder().set(TallyConfig.API_INSECURE, true).build());
        assertThat(tokens.slots()).isEqualTo(1);
        assertThat(tokens.label(0)).isEqualTo("anonymous");
        assertThat(tokens.match(null)).isZero();
        assertThat(tokens.match("Bearer anything-at-all-0123456789")).isZero();
    }
}
