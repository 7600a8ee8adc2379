#!/usr/bin/env bash
# Memory of the processor or the HTTP service in a container's memory limit, with the images' JVM flags:
#   bench/container-memory.sh processor [COUNT=3000000]
#   bench/container-memory.sh service [CLIENTS=64] [BATCH_MB=8]
# The JVM runs in a memory cgroup of LIMIT_MB (default 512, as deploy/k8s and deploy/compose), so it sizes its
# heap from that limit as in a container (-XX:MaxRAMPercentage=RAM_PCT, default the Dockerfiles' value), and the
# kernel ends it if its memory passes the limit, as in a container. processor: one processor applies COUNT
# operations that the bench's LoadProducer writes as fast as it can. service: `tally serve` takes CLIENTS
# concurrent POST /v1/batch of BATCH_MB MiB of NDJSON each (one line in five an event with 200 bytes of params).
# The batches come from one address with one token, and may take their time: the service runs with the caps per
# client address and per token off and a read timeout of 10 minutes, so that CLIENTS connections are all served.
# Prints the process's peak resident memory, the cgroup's peak usage, whether the kernel ended the process,
# and, for the service, how many batches were written whole.
# Needs root and a cgroup memory controller (v1, or v2 with the memory controller enabled for children).
# SERVICE_ARGS: more flags for `tally serve`. TALLY_JAR: another build's tally.jar (default this tree's).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=${1:?processor or service}
jar=${TALLY_JAR:-"$root/app/target/tally.jar"}
bench="$root/bench/target/tally-bench.jar"
limit_mb=${LIMIT_MB:-512}
image=$([ "$mode" = processor ] && echo processor || echo service)
ram_pct=${RAM_PCT:-$(grep -o 'MaxRAMPercentage=[0-9]*' "$root/deploy/docker/$image.Dockerfile" | cut -d= -f2)}
. "$root/bench/lib.sh"
make_work_dir

if [ -d /sys/fs/cgroup/memory ]; then # v1: a child of this shell's own memory group
  cg="/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)/tally-bench-$$"
  mkdir "$cg"; echo $((limit_mb * 1048576)) > "$cg/memory.limit_in_bytes"
  peak_file="$cg/memory.max_usage_in_bytes"; oom() { awk '/oom_kill /{print $2}' "$cg/memory.oom_control"; }
else # v2
  cg="/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)/tally-bench-$$"
  mkdir "$cg"; echo $((limit_mb * 1048576)) > "$cg/memory.max"
  peak_file="$cg/memory.peak"; oom() { awk '/oom_kill /{print $2}' "$cg/memory.events"; }
fi
trap 'remove_work_dir; rmdir "$cg" 2>/dev/null || true' EXIT
trap 'exit 143' TERM INT # so that the EXIT trap stops what runs in the background

port=$(free_port); url="redis://127.0.0.1:$port"
redis-server --port "$port" --save '' --appendonly no --maxmemory-policy noeviction --dir "$work" \
  --logfile "$work/redis.log" &
sleep 0.5
java -jar "$jar" init --redis-url "$url" --namespace mem --partitions 16 > /dev/null
in_limit() { # (run in the background) becomes java with the images' flags inside the memory group
  exec sh -c 'echo $$ > "$0/cgroup.procs"; shift; exec "$@"' "$cg" x java "-XX:MaxRAMPercentage=$ram_pct" \
    -XX:InitialRAMPercentage=50 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError "$@"
}
peak_kb=0; pid=
watch_until() { # samples the JVM's resident memory every second until the file $1 exists or the JVM ends
  while [ ! -e "$1" ]; do
    local rss; rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [ -z "$rss" ]; then echo "the $mode ended while under load (see its log below)"; tail -3 "$work/$mode.log"; break; fi
    if [ "$rss" -gt "$peak_kb" ]; then peak_kb=$rss; fi
    sleep 1
  done
}

left() { # entries of the ops streams not applied yet: pending, plus lag (1 while Redis cannot tell it)
  local n=0 k
  for k in $(redis-cli -p "$port" --scan --pattern 'mem:{*}:ops'); do
    n=$((n + $(redis-cli -p "$port" xinfo groups "$k" | awk '/^pending$/ {getline; p = $0} /^lag$/ {getline; l = $0}
      END {print p + (l == "" ? 1 : l)}')))
  done
  echo "$n"
}

if [ "$mode" = processor ]; then
  count=${2:-3000000}
  in_limit -jar "$jar" processor --redis-url "$url" --namespace mem --metrics-port 0 > "$work/processor.log" 2>&1 &
  pid=$!
  sleep 3
  (java -Xmx1g -cp "$bench" io.tally.bench.LoadProducer --redis-url "$url" --namespace mem --out "$work/out" \
     --count "$count" --seed 7 > "$work/load.log" 2>&1
   until [ "$(left)" = 0 ]; do sleep 1; done
   touch "$work/applied") &
  watch_until "$work/applied"
  echo "processor: $count operations applied ($(grep -o 'rate=[0-9]*' "$work/out") sends/s)"
else
  clients=${2:-64}; batch_mb=${3:-8}
  api=$(free_port)
  TALLY_API_MAX_CONNECTIONS_PER_CLIENT=$clients TALLY_API_MAX_IN_FLIGHT_PER_TOKEN=0 TALLY_API_MAX_OPS_PER_SECOND_PER_TOKEN=0 \
    in_limit -jar "$jar" serve --insecure --redis-url "$url" --namespace mem --api-port "$api" --backlog-limit 0 \
    --api-request-read-timeout-ms 600000 ${SERVICE_ARGS:-} > "$work/service.log" 2>&1 &
  pid=$!
  python3 - "$work/batch.ndjson" "$batch_mb" <<'PY'
import random, sys
path, mb = sys.argv[1], int(sys.argv[2])
random.seed(1)
with open(path, "w") as f:
    n = 0
    while n < mb * 1048576:
        if random.random() < 0.2:
            line = '{"type":"click","params":{"page":"p%d","user":"u%d","pad":"%s"}}\n' % (
                random.randrange(100), random.randrange(10000), "x" * 200)
        else:
            line = '{"op":"incr","counter":"c%d","by":1}\n' % random.randrange(10000)
        f.write(line)
        n += len(line)
PY
  for _ in $(seq 1 60); do curl -sf -o /dev/null "http://127.0.0.1:$api/health/live" && break; sleep 0.5; done
  (for c in $(seq 1 "$clients"); do
     curl -s -X POST -H 'Content-Type: application/x-ndjson' -H 'Transfer-Encoding: chunked' \
       --data-binary @"$work/batch.ndjson" "http://127.0.0.1:$api/v1/batch" -o "$work/answer.$c" &
   done; wait; touch "$work/answered") &
  watch_until "$work/answered"
  whole=$({ cat "$work"/answer.* 2>/dev/null || true; } | { grep -o '"failed":0,"complete":true' || true; } | wc -l)
  echo "service: $whole of $clients batches of $batch_mb MiB written whole"
fi
echo "limit ${limit_mb} MiB, MaxRAMPercentage=$ram_pct: peak resident $((peak_kb / 1024)) MiB," \
  "cgroup peak $(( $(cat "$peak_file") / 1048576 )) MiB, ended by the kernel: $( [ "$(oom)" -gt 0 ] && echo yes || echo no)"
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
