#!/bin/bash
# Wipes the Redmine database back to an empty, migrated schema. Stops the server first;
# run start.sh afterwards (it reloads default data, project, versions, custom field and
# makes a NEW admin API key unless REDMINE_FIXED_API_KEY is set).
set -euo pipefail
# Rails reads DATABASE_URL before database.yml: the portal's must not reach Redmine.
unset DATABASE_URL
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${REDMINE_STATE_DIR:-/tmp/handoff-redmine}"
[ -r /etc/redmine/default/database.yml ] || { echo "redmine is not installed; nothing to reset" >&2; exit 0; }
"$HERE/stop.sh"
cd /usr/share/redmine
# Separate rake steps: migrate and load_default_data in one process fail (stale column cache).
runuser -u www-data -- env HOME=/tmp REDMINE_INSTANCE=default RAILS_ENV=production SCHEMA=/dev/null \
  DISABLE_DATABASE_ENVIRONMENT_CHECK=1 bundle exec rake db:drop db:create db:migrate >/dev/null
rm -f "$STATE/api_key"
echo "[redmine/reset-data] database wiped and migrated; run start.sh" >&2
