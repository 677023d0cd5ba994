#!/usr/bin/env bash
# Keeps a command running: starts it in its own process group and, whenever it exits, kills what is left of
# that group (the engine, step processes) and starts it again after a back-off (0.5 s doubling to 10 s,
# back to 0.5 s after a minute of uptime). SIGTERM or SIGINT stops the command's group and the supervisor.
# Used by `make start`; under systemd, Restart=always does the same job (docs/operations.md).
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
child=0
stopping=0
stop() {
  stopping=1
  if [ "$child" -gt 0 ]; then
    kill -TERM -- "-$child" 2>/dev/null
    for _ in $(seq 50); do kill -0 -- "-$child" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$child" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT
delay=0.5
while :; do
  started=$(date +%s)
  setsid "$@" &
  child=$!
  echo "[supervise] started pid $child: $*" >&2
  wait "$child"
  rc=$?
  [ "$stopping" -eq 1 ] && exit 0
  kill -KILL -- "-$child" 2>/dev/null  # leftovers of the dead app's process group
  if [ $(( $(date +%s) - started )) -ge 60 ]; then delay=0.5; fi
  echo "[supervise] exited with status $rc; restarting in ${delay}s" >&2
  sleep "$delay" & wait $!
  delay=$(awk -v d="$delay" 'BEGIN { d *= 2; print (d > 10 ? 10 : d) }')
done
