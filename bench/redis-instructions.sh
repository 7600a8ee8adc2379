#!/usr/bin/env bash
# Redis's instructions per producer send, counted by valgrind (callgrind), for builds side by side:
#   bench/redis-instructions.sh [--count N] [--modes plain,default,ids] BUILD_DIR...
# BUILD_DIR holds a build's tally.jar and tally-bench.jar (this tree's: app/target and bench/target are
# used when BUILD_DIR is '.'). For each build and mode, one redis-server runs under callgrind with its
# counting switched on only while the build's LoadProducer sends N operations (default 100,000) into a
# namespace of its own: plain (producer-idempotence off), default (producer sessions) or ids (an operation
# id on every send). Prints instructions per send. Unlike CPU seconds, the count hardly moves with what
# else the host is doing: the same build gives the same figure within ~1 %, so a change to a script shows
# on a busy 2-core host. The count includes what Redis does for the producer's start and its background
# polls (backlog, pings) while it sends, a share that grows a little on a slow host. Needs valgrind (apt-get install valgrind). A build takes ~1 minute per mode.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
count=100000
modes=plain,default,ids
builds=()
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    *) builds+=("$1"); shift ;;
  esac
done
if [ ${#builds[@]} -eq 0 ]; then
  echo "usage: bench/redis-instructions.sh [--count N] [--modes plain,default,ids] BUILD_DIR..." >&2
  exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 2; }
. "$root/bench/lib.sh"
make_work_dir
jars_of() { # build dir -> "tally.jar tally-bench.jar"
  if [ "$1" = . ]; then echo "$root/app/target/tally.jar $root/bench/target/tally-bench.jar"
  else echo "$1/tally.jar $1/tally-bench.jar"; fi
}
printf '%-40s %-8s %14s\n' build mode instructions/send
for build in "${builds[@]}"; do
  read -r app bench <<<"$(jars_of "$build")"
  for mode in ${modes//,/ }; do
    port=$(free_port); out="$work/cg.out"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
      redis-server --port "$port" --save '' --appendonly no --maxmemory-policy noeviction >"$work/redis.log" 2>&1 &
    vg=$!
    for _ in $(seq 1 120); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
    java -jar "$app" init --redis-url "redis://127.0.0.1:$port" --namespace cost >/dev/null
    # under valgrind Redis runs ~50x slower and sends wait in the producer for tens of seconds: a send
    # whose call is refused for a retriable reason (a dedupe-bucket change at a window's end) must not
    # time out before it goes again
    flags=(); env=(TALLY_SEND_TIMEOUT_MS=300000)
    case $mode in
      plain) env+=(TALLY_PRODUCER_IDEMPOTENCE=false) ;;
      default) ;;
      ids) flags=(--idempotent) ;;
      *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    callgrind_control -i on "$vg" >/dev/null 2>&1
    env ${env[@]+"${env[@]}"} java -Xmx256m -cp "$bench" io.tally.bench.LoadProducer --redis-url "redis://127.0.0.1:$port" \
      --namespace cost --out "$work/producer.out" --count "$count" --seed 6001 ${flags[@]+"${flags[@]}"} >"$work/producer.log" 2>&1
    callgrind_control -i off "$vg" >/dev/null 2>&1
    grep -q "^ok=$count$" "$work/producer.out" || { echo "$build $mode: not every send acknowledged" >&2; cat "$work/producer.out" >&2; exit 1; }
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$vg" || true
    total=$(awk '/^totals:/ {print $2}' "$out")
    printf '%-40s %-8s %14d\n' "$build" "$mode" $((total / count))
    rm -f "$out"*
  done
done
