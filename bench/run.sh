#!/usr/bin/env bash
# Runs the Tally benchmark suite (see BENCHMARKS.md). Builds the jars when missing.
#   bench/run.sh [--redis-url URL | --cluster N] [--runs N] [--scale F] [--scenarios drain,steady,...] [--memory-minutes M] [--jfr --keep]
# Without --redis-url it starts a redis-server of its own on a free port. A password comes from
# TALLY_REDIS_PASSWORD, never from the command line. When --scenarios names kafka, the bench jar is
# built with the kafka profile (Kafka's broker, producer and Streams; a jar of ~150 MB).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
profile=()
if [[ " $* " =~ [\ ,=]kafka[\ ,] ]]; then
  profile=(-Pkafka)
fi
has_kafka() { unzip -l bench/target/tally-bench.jar 2>/dev/null | grep -q 'io/tally/bench/KafkaBaseline.class'; }
if [[ ! -f bench/target/tally-bench.jar || ! -f app/target/tally.jar ]] || { [[ ${#profile[@]} -gt 0 ]] && ! has_kafka; }; then
  mvn -q -B -DskipTests "${profile[@]}" -pl app,bench -am package
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec java -Xmx512m -jar bench/target/tally-bench.jar "$@"
