#!/usr/bin/env bash
# Runs the Tally benchmark suite (see BENCHMARKS.md). Builds the jars when missing.
#   bench/run.sh [--redis-url URL] [--runs N] [--scale F] [--scenarios drain,steady,...] [--memory-minutes M] [--jfr --keep]
# Without --redis-url it starts a redis-server of its own on a free port. A password comes from
# TALLY_REDIS_PASSWORD, never from the command line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ ! -f bench/target/tally-bench.jar || ! -f app/target/tally.jar ]]; then
  mvn -q -B -DskipTests -pl app,bench -am package
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec java -Xmx512m -jar bench/target/tally-bench.jar "$@"
