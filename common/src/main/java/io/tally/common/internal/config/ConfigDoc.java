package io.tally.common.internal.config;

import io.tally.common.config.ConfigKey;
import io.tally.common.config.TallyConfig;

/**
 * Renders the configuration table of the README from {@link TallyConfig#keys()}, so the docs cannot
 * drift from the code ({@code ReadmeConfigTableTest} compares them). Run it to regenerate:
 * {@code java -cp common/target/classes io.tally.common.internal.config.ConfigDoc}.
 */
public final class ConfigDoc {
    private ConfigDoc() {
    }

    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| flag | environment | default | meaning |\n");
        sb.append("| --- | --- | --- | --- |\n");
        for (ConfigKey<?> key : TallyConfig.keys()) {
            String flag = key.secret() ? "(none)" : "`" + key.flag() + "`";
            Object def = key.defaultValue();
            Object value = def instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : def;
            String shown = value == null || value.toString().isEmpty() ? "" : "`" + value + "`";
            sb.append("| ").append(flag).append(" | `").append(key.env()).append("` | ").append(shown)
                    .append(" | ").append(key.doc().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        System.out.print(markdownTable());
    }
}
