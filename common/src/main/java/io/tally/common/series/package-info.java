/**
 * Series windows: the per-minute, per-hour or per-day buckets a counter operation may also count in
 * ({@code series-windows}).
 *
 * <p>Stable API: changes are announced in CHANGELOG.md, and before 1.0 only a minor version may make them.
 */
package io.tally.common.series;
