#!/usr/bin/env bash
# Latency of two processor builds side by side, alternating runs on one scratch redis-server:
#   bench/latency-ab.sh OLD_PROCESSOR_JAR NEW_PROCESSOR_JAR [RATE=61000] [SECONDS=40] [ROUNDS=3]
# Each run: a fresh redis-server on a free port (persistence off, noeviction), one processor
# (java -Xmx256m -jar JAR processor --partitions 16), and the bench's LoadProducer at RATE for a 15 s warm-up
# plus SECONDS recorded (--latency). Prints produce -> applied p50/p99/p99.9 (ms), the producer's
# acknowledgment p99, and the CPU seconds of the processor and of Redis over the run.
# Extra JVM flags: PROCESSOR_JAVA_OPTS and PRODUCER_JAVA_OPTS for both sides, NEW_PROCESSOR_JAVA_OPTS
# for the new side's processor only (to compare JVM flags with the same jar twice, or a tuning key:
# NEW_PROCESSOR_JAVA_OPTS=-Dtally.fast-path-min-read=1). Environment TALLY_* reaches both.
# BUSY_LOOPS=N runs N busy loops (sh, same priority) beside each run: 2 take half of a 2-core host,
# which brings a host twice as fast as the issue's reference down to that speed (BENCHMARKS.md).
# KEEP=1 keeps the work folder (logs, producer.out) and prints its path.
# OLD_BENCH_JAR: the old side's tally-bench.jar, so that its load producer is the old one too
# (default: this tree's for both sides).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old=$1; new=$2; rate=${3:-61000}; seconds=${4:-40}; rounds=${5:-3}
bench="$root/bench/target/tally-bench.jar"
. "$root/bench/lib.sh"
make_work_dir
if [ -n "${KEEP:-}" ]; then echo "work folder: $work"; fi
clk=$(getconf CLK_TCK)
one_run() { # label processor-jar bench-jar [processor JVM flags]
  local label=$1 jar=$2 producer_jar=$3 side_opts=${4:-} port dir pid rpid hogs=()
  port=$(free_port); dir="$work/$label"; mkdir -p "$dir"
  # Not daemonized: a daemon starts a session of its own, and with the kernel's autogroup scheduling
  # that puts Redis in a CPU group of its own, unlike the bench command's Redis; beside busy loops
  # that group stalls for up to a second (BENCHMARKS.md, "Known limits").
  redis-server --port "$port" --save '' --appendonly no --maxmemory-policy noeviction \
    --logfile "$dir/redis.log" --dir "$dir" &
  rpid=$!
  for _ in $(seq 1 "${BUSY_LOOPS:-0}"); do sh -c 'while :; do :; done' & hogs+=($!); done
  sleep 0.5
  # any free metrics port, as the variable that every build reads
  TALLY_METRICS_PORT=0 java -Xmx256m ${PROCESSOR_JAVA_OPTS:-} $side_opts -jar "$jar" processor \
    --redis-url "redis://127.0.0.1:$port" --namespace ab --partitions 16 --processor-id p1 > "$dir/processor.log" 2>&1 &
  pid=$!
  sleep 4
  java -Xmx256m ${PRODUCER_JAVA_OPTS:-} -cp "$producer_jar" io.tally.bench.LoadProducer --redis-url "redis://127.0.0.1:$port" --namespace ab \
    --rate "$rate" --seconds $((seconds + 15)) --latency --warmup-ms 15000 --out "$dir/producer.out" \
    > "$dir/producer.log" 2>&1
  local proc_cpu redis_cpu
  proc_cpu=$(awk -v t="$clk" '{print ($14 + $15) / t}' "/proc/$pid/stat")
  redis_cpu=$(redis-cli -p "$port" info cpu | awk -F: '/used_cpu_(user|sys):/ {s += $2} END {printf "%.1f", s}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || true
  wait "$rpid" 2>/dev/null || true
  if [ ${#hogs[@]} -gt 0 ]; then kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null || true; fi
  get() { grep "^$1=" "$dir/producer.out" | cut -d= -f2; }
  printf '| %-4s | %8.0f | %4s | %4s | %6s | %4s | %6.1f | %6s |\n' "$label" "$(get rate)" "$(get lat_p50)" \
    "$(get lat_p99)" "$(get lat_p999)" "$(get ack_p99)" "$proc_cpu" "$redis_cpu"
}
echo "old: $old"
echo "new: $new"
echo "rate $rate/s, $seconds s recorded after 15 s, $rounds rounds, ${BUSY_LOOPS:-0} busy loops, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo '| run  | ops/s    | p50  | p99  | p99.9  | ack p99 | processor CPU s | Redis CPU s |'
echo '| ---  | ---:     | ---: | ---: | ---:   | ---: | ---: | ---: |'
for i in $(seq 1 "$rounds"); do
  one_run "old$i" "$old" "${OLD_BENCH_JAR:-$bench}"
  one_run "new$i" "$new" "$bench" "${NEW_PROCESSOR_JAVA_OPTS:-}"
done
