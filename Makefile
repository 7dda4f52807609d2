# Handoff: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: setup run serve test demo migrate worker lint clean bench bench-profile bench-throughput bench-compare bench-outbox bench-sync bench-git soak-sync soak-sync-short

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Links in emails use the address the portal is served on: HANDOFF_BASE_URL, unless set, follows PORT.
run: demo
	$(MAKE) --no-print-directory serve

# Serve the database as it is (no setup, no demo), on PORT.
serve:
	HANDOFF_BASE_URL="$${HANDOFF_BASE_URL:-http://127.0.0.1:$(PORT)}" $(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: setup
	$(VENV)/bin/celery -A handoff worker -B --loglevel=INFO

test: setup
	$(PY) -m pytest

# ruff, as configured in pyproject.toml: pyflakes, pycodestyle, isort, bugbear.
lint: setup
	$(VENV)/bin/ruff check .

# Pages and API at 200,000 tickets: seeds BENCH_DATABASE_URL once (created if missing),
# serves it with gunicorn (DEBUG off) and writes p50/p95/req/s to bench-results.txt.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/handoff_bench
bench: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench $(BENCH_ARGS)

# Where each of those targets' time goes (Python, templates, database, session and auth),
# one request at a time, in-process, on the same database: bench-profile.txt.
bench-profile: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_profile $(BENCH_ARGS)

# Requests a second at 8 clients, sent by wrk (Debian's package wrk), and each request's CPU
# by process group, on the bench database: bench-throughput.txt.
bench-throughput: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_throughput $(BENCH_ARGS)

# This tree against an earlier one (BEFORE=<commit>), both served at once on the bench
# database, each target measured in alternating bursts: bench-compare.txt.
bench-compare: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench_compare --before $(BEFORE) $(BENCH_ARGS)

# Portal -> Redmine latency (p50/p95) and outbox throughput, on PostgreSQL, Redis,
# a real worker and a real Redmine (installed from Debian's packages; needs root).
bench-sync: setup
	redmine_env="$$(scripts/redmine/start.sh)" && set -a && eval "$$redmine_env" && set +a && \
	  $(PY) scripts/bench_sync.py

# The outbox under a burst: 10,000 changes committed at once, pushed to the local Jira server
# by two worker processes, timed and checked for order per defect (its own database).
bench-outbox: setup
	$(PY) -m tools.bench.outbox $(BENCH_OUTBOX_ARGS)

# Code traceability: scan a 20,000-commit repository built with git fast-import, then 500
# new commits, then first releases of 1,000 fixes across 60 tags (a throwaway test database).
bench-git: setup
	$(PY) manage.py bench_git $(BENCH_GIT_ARGS)

# Soak: random edits on both sides of linked pairs in Redmine, Jira, GitHub and GitLab for
# SOAK_SECONDS, a tracker outage and a killed worker, then every pair checked for convergence,
# duplicates, lost comments and loops (its own handoff_soak database, made afresh). Exits 1 on any.
SOAK_SECONDS ?= 600
soak-sync: setup
	redmine_env="$$(scripts/redmine/start.sh)" && set -a && eval "$$redmine_env" && set +a && \
	  $(PY) -m tools.soak --seconds $(SOAK_SECONDS) $(SOAK_ARGS)

soak-sync-short:
	$(MAKE) soak-sync SOAK_SECONDS=60

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
