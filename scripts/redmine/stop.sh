#!/bin/bash
# Stops the Redmine server started by start.sh, by the pid it saved.
set -euo pipefail
STATE="${REDMINE_STATE_DIR:-/tmp/handoff-redmine}"
PIDFILE="$STATE/redmine.pid"
log() { echo "[redmine/stop] $*" >&2; }

if [ ! -s "$PIDFILE" ]; then log "not running (no pid file)"; exit 0; fi
pid="$(cat "$PIDFILE")"
if ! kill -0 "$pid" 2>/dev/null; then log "stale pid file (pid $pid gone)"; rm -f "$PIDFILE"; exit 0; fi
# Only ever stop our own thin server.
cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
case "$cmd" in *thin*) ;; *) log "pid $pid is not the thin server ($cmd); not stopping it"; exit 1;; esac

kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then log "still alive after 10s, sending KILL"; kill -KILL "$pid"; fi
rm -f "$PIDFILE"
log "stopped (pid $pid)"
