# Shared by the bench scripts (sourced, not run).

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Makes $work a new temporary folder. On any exit, a failed step included, the script's background jobs
# (Redis, processors, busy loops) are stopped and $work is removed, unless KEEP is set.
make_work_dir() {
  work=$(mktemp -d)
  trap remove_work_dir EXIT
}

remove_work_dir() {
  local left
  left=$(jobs -p)
  if [ -n "$left" ]; then kill $left 2>/dev/null || true; fi
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; fi
}
