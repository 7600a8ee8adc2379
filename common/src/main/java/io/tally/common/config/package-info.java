/**
 * The configuration of every Tally process: {@link io.tally.common.config.TallyConfig} with one
 * {@link io.tally.common.config.ConfigKey} per setting (flag, {@code TALLY_*} environment variable,
 * default, validation), and {@link io.tally.common.config.ConfigException} for a wrong value.
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.common.config;
