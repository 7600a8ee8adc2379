#!/usr/bin/env bash
# Redis's instructions per producer send, or per entry a processor drains, counted by valgrind
# (callgrind), for builds side by side:
#   bench/redis-instructions.sh [--count N] [--modes plain,default,ids,drain] BUILD_DIR...
# BUILD_DIR holds a build's tally.jar and tally-bench.jar (this tree's: app/target and bench/target are
# used when BUILD_DIR is '.'). For each build and mode, one redis-server runs under callgrind with its
# counting switched on only while the build's LoadProducer sends N operations (default 100,000) into a
# namespace of its own: plain (producer-idempotence off), default (producer sessions) or ids (an operation
# id on every send); drain: N plain sends with counting off, then one processor of the build (16
# partitions) applies them with counting on, until every ops stream of the namespace has nothing
# left to read or acknowledge. Prints instructions per send (per applied entry for drain). Unlike CPU seconds, the count hardly moves with what
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
work=$(mktemp -d /tmp/ri.XXXX); echo work=$work
jars_of() { # build dir -> "tally.jar tally-bench.jar"
  if [ "$1" = . ]; then echo "$root/app/target/tally.jar $root/bench/target/tally-bench.jar"
  else echo "$1/tally.jar $1/tally-bench.jar"; fi
}
# counting on, one processor of the build applies the backlog; returns once no ops stream has entries
# left to read or acknowledge
drain() { # tally.jar port valgrind-pid
  local left pid
  callgrind_control -i on "$3" >/dev/null 2>&1
  TALLY_METRICS_PORT=0 java -Xmx256m -jar "$1" processor --redis-url "redis://127.0.0.1:$2" --namespace cost \
    --processor-id cost >"$work/processor.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do
    left=0
    for key in $(redis-cli -p "$2" --scan --pattern 'cost:*:ops'); do
      left=$((left + $(redis-cli -p "$2" xinfo groups "$key" | awk 'p {s += $1; p = 0} /^(lag|pending)$/ {p = 1} END {print s + 0}')))
    done
    [ "$left" -eq 0 ] && break
    sleep 0.5
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [ "$left" -eq 0 ] || { echo "drain: $left entries left after 10 minutes" >&2; exit 1; }
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
      drain) env+=(TALLY_PRODUCER_IDEMPOTENCE=false) ;;
      *) echo "unknown mode $mode" >&2; exit 2 ;;
    esac
    [ "$mode" = drain ] || callgrind_control -i on "$vg" >/dev/null 2>&1
    env ${env[@]+"${env[@]}"} java -Xmx256m -cp "$bench" io.tally.bench.LoadProducer --redis-url "redis://127.0.0.1:$port" \
      --namespace cost --out "$work/producer.out" --count "$count" --seed 6001 ${flags[@]+"${flags[@]}"} >"$work/producer.log" 2>&1
    [ "$mode" = drain ] && drain "$app" "$port" "$vg"
    callgrind_control -i off "$vg" >/dev/null 2>&1
    grep -q "^ok=$count$" "$work/producer.out" || { echo "$build $mode: not every send acknowledged" >&2; cat "$work/producer.out" >&2; exit 1; }
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$vg" || true
    total=$(awk '/^totals:/ {print $2}' "$out")
    printf '%-40s %-8s %14d\n' "$build" "$mode" $((total / count))
    rm -f "$out"*
  done
done
