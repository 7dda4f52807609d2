#!/bin/bash
# A real Redmine for the sync integration tests and the sync benchmark.
#
# Idempotent: installs Redmine from Debian's packages (SQLite) if missing, starts it
# under thin on 127.0.0.1:$REDMINE_PORT (default 3000) as www-data, waits until it
# answers, bootstraps REST API / admin key / project / versions / custom field, and
# prints on stdout:
#   REDMINE_URL=...
#   REDMINE_API_KEY=...
#   REDMINE_PROJECT=...
# Progress goes to stderr. Use: set -a; eval "$(scripts/redmine/start.sh)"; set +a
# Needs root (apt-get, and the server runs as www-data).
set -euo pipefail
# Rails reads DATABASE_URL before database.yml: the portal's must not reach Redmine.
unset DATABASE_URL

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${REDMINE_STATE_DIR:-/tmp/handoff-redmine}"
HOST=127.0.0.1
PORT="${REDMINE_PORT:-3000}"
PROJECT="${REDMINE_PROJECT:-sync-test}"
URL="http://$HOST:$PORT"
PIDFILE="$STATE/redmine.pid"
KEYFILE="$STATE/api_key"
LOG="$STATE/server.log"
APP=/usr/share/redmine
RENV=(HOME=/tmp REDMINE_INSTANCE=default RAILS_ENV=production)
READY_TIMEOUT="${REDMINE_READY_TIMEOUT:-120}"

log() { echo "[redmine/start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (apt-get, and the server runs as www-data)"
mkdir -p "$STATE"; chmod 755 "$STATE"

# ---------------------------------------------------------------- 1. install
installed() { dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed; }
if ! installed redmine || ! installed redmine-sqlite || ! installed thin; then
  log "installing redmine (sqlite3) and thin from Debian's packages ..."
  t0=$SECONDS
  debconf-set-selections <<'SEL'
redmine redmine/current-instances string default
redmine redmine/instances/default/dbconfig-install boolean true
redmine redmine/instances/default/database-type select sqlite3
redmine redmine/instances/default/default-language select en
redmine redmine/instances/default/db/basepath string /var/lib/dbconfig-common/sqlite3/redmine/instances/default
redmine redmine/instances/default/db/dbname string redmine_default
SEL
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    redmine redmine-sqlite thin >&2
  log "installed in $((SECONDS - t0))s"
fi
if [ ! -r /etc/redmine/default/database.yml ]; then
  # After a purge and a manual removal of /etc/dbconfig-common, ucf remembers the deleted
  # file and dbconfig writes no database.yml: forget it and configure again.
  log "database.yml missing: clearing stale ucf state and reconfiguring ..."
  for f in /etc/dbconfig-common/redmine/instances/default.conf /etc/redmine/default/database.yml; do
    ucf --purge "$f" 2>/dev/null || true; ucfr --purge redmine/instances/default "$f" 2>/dev/null || true
  done
  DEBIAN_FRONTEND=noninteractive dpkg-reconfigure -fnoninteractive redmine >&2
  [ -r /etc/redmine/default/database.yml ] || die "/etc/redmine/default/database.yml still missing"
fi

# ---------------------------------------------------------------- 2. start
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" 2>/dev/null || true; }
running() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if running; then
  log "already running (pid $(cat "$PIDFILE"))"
else
  rm -f "$PIDFILE"
  code=$(http_code "$URL/")
  [ "$code" = "000" ] || die "$HOST:$PORT already answers (HTTP $code) but not from our pid; refusing to start"
  log "starting thin on $URL ..."
  t0=$(date +%s.%N)
  : > "$LOG"
  # thin, not `rails server`: the latter tries to create /usr/share/redmine/tmp as www-data.
  start-stop-daemon --start --background --make-pidfile --pidfile "$PIDFILE" \
    --chuid www-data:www-data --chdir "$APP" --output "$LOG" \
    --startas /usr/bin/env -- "${RENV[@]}" \
    bundle exec thin start -a "$HOST" -p "$PORT" -e production -R config.ru
  deadline=$((SECONDS + READY_TIMEOUT))
  # "/" redirects once login is required, so wait for /login.
  until [ "$(http_code "$URL/login")" = 200 ]; do
    running || { cat "$LOG" >&2; die "server process exited"; }
    [ $SECONDS -lt $deadline ] || { cat "$LOG" >&2; die "not ready after ${READY_TIMEOUT}s"; }
    sleep 0.2
  done
  log "answering after $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")s (pid $(cat "$PIDFILE"))"
fi

# ---------------------------------------------------------------- 3. bootstrap
FIXED_KEY="${REDMINE_FIXED_API_KEY:-}"   # optional: pin the admin API key (40 hex chars)
key_ok() {
  [ -s "$KEYFILE" ] || return 1
  [ -z "$FIXED_KEY" ] || [ "$(cat "$KEYFILE")" = "${FIXED_KEY,,}" ] || return 1
  [ "$(http_code -H "X-Redmine-API-Key: $(cat "$KEYFILE")" "$URL/projects/$PROJECT.json")" = 200 ]
}
if ! key_ok; then
  log "bootstrapping (REST API on, admin API key, project '$PROJECT', versions, custom field) ..."
  # The code goes in as a string so www-data needs no read access to this directory.
  out=$(cd "$APP" && runuser -u www-data -- env "${RENV[@]}" REDMINE_PROJECT="$PROJECT" REDMINE_FIXED_API_KEY="$FIXED_KEY" \
          bundle exec rails runner -e production "$(cat "$HERE/bootstrap.rb")")
  key=$(printf '%s\n' "$out" | sed -n 's/^REDMINE_API_KEY=//p' | tail -1)
  [ -n "$key" ] || die "bootstrap printed no API key"
  (umask 077; printf '%s\n' "$key" > "$KEYFILE")
  key_ok || die "the API key does not work against $URL"
fi

echo "REDMINE_URL=$URL"
echo "REDMINE_API_KEY=$(cat "$KEYFILE")"
echo "REDMINE_PROJECT=$PROJECT"
