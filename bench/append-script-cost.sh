#!/usr/bin/env bash
# Redis's instructions per appended operation for an append script, counted by valgrind (callgrind):
#   bench/append-script-cost.sh [--calls 20] [--entries 1000] [--ops-per-entry 1] [--modes plain,session,ids] [SCRIPT]
# SCRIPT defaults to this tree's common/src/main/resources/tally/lua/append_runs.lua; pass a variant to
# compare it with the script as it is. bench/append_calls.py makes the calls (CALLS calls of ENTRIES
# entries to one stream, the producer's arguments); a redis-server under callgrind counts only while
# they run. --ops-per-entry B > 1 packs B operations into one value of each entry (a sketch of a batch
# entry: docs/architecture.md, "Why a stream entry holds one operation"). Needs valgrind and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
calls=20; entries=1000; per_entry=1; modes=plain,session,ids
script="$root/common/src/main/resources/tally/lua/append_runs.lua"
while [ $# -gt 0 ]; do
  case $1 in
    --calls) calls=$2; shift 2 ;;
    --entries) entries=$2; shift 2 ;;
    --ops-per-entry) per_entry=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) script=$1; shift ;;
  esac
done
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 2; }
. "$root/bench/lib.sh"
make_work_dir
port=$(free_port)
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out" \
  redis-server --port "$port" --save '' --appendonly no >"$work/redis.log" 2>&1 &
vg=$!
for _ in $(seq 1 120); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.5; done
printf '%-8s %14s %16s\n' mode ops/entry instructions/op
for mode in ${modes//,/ }; do
  callgrind_control -z "$vg" >/dev/null 2>&1
  callgrind_control -i on "$vg" >/dev/null 2>&1
  ops=$(python3 "$root/bench/append_calls.py" "$port" "$script" "$mode" "$calls" "$entries" "$per_entry")
  callgrind_control -i off "$vg" >/dev/null 2>&1
  callgrind_control -d "$vg" >/dev/null 2>&1
  dump=$(ls -t "$work"/cg.out.* | head -1)
  total=$(awk '/^totals:/ {print $2}' "$dump")
  printf '%-8s %14d %16d\n' "$mode" "$per_entry" $((total / ops))
  rm -f "$work"/cg.out.*
done
