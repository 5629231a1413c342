# SLA Ops: `make run` (demo on SQLite, web + qcluster) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-$(REQS_HASH)

# The documentation site: built from docs/ into $(DOCS_OUT), served by `make run` at /docs/.
DOCS_OUT ?= $(or $(SLAOPS_VAR_DIR),var)/docs

.PHONY: run test bench lint docs

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Every step of `make run` sees one SITE_URL (the demo seed, the schedules, the web server and the
# qcluster it starts), the address it prints: alert links, e-mail ids and the printed URL agree.
run: export SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(PORT))
run: $(STAMP)
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) collectstatic --noinput -v0 --ignore redoc  # only Swagger UI is served
	$(MANAGE) seed_demo
	$(MANAGE) ingest_email -v0 --mailbox support@slaops.example --create-mailbox samples/*.eml >/dev/null  # demo e-mails (once)
	$(MANAGE) ensure_schedules
	$(BIN)/sphinx-build -W --keep-going -q -b html -d $(DOCS_OUT).doctrees docs $(DOCS_OUT)  # the site at /docs/
	@echo ""
	@echo "  SLA Ops is running at $(patsubst %/,%,$(SITE_URL))/"
	@echo "  Its documentation:   $(patsubst %/,%,$(SITE_URL))/docs/"
	@$(MANAGE) demo_logins  # random passwords from the first run, kept in var/demo-logins.txt
	@case "$${HOST:-127.0.0.1}" in 127.*|localhost|::1|"[::1]") ;; \
	  *) echo "  WARNING: HOST=$$HOST listens on the network: anyone who can reach this machine" \
	          "can try these logins. Keep it on 127.0.0.1 unless you mean it." ;; esac
	@echo "  Ctrl-C stops the web server and the task cluster."
	@echo ""
	$(MANAGE) serve --port $(PORT)

# Pass 1: everything on SQLite: in two processes (pytest-xdist, a test file to a process at a
# time; each process has its own in-memory database and cache), then the browser tests in one.
# Pass 2: the tests marked `server` (concurrency, broker) and `both` (the clock rules, API and
# import again) against the PostgreSQL and Redis named by DATABASE_URL / REDIS_URL; skipped,
# with the reason, when they are unreachable.
# pytest's exit code 5 (no test selected) is not a failure.
test: $(STAMP)
	@sh tests/setup_browser.sh
	@sh tests/setup_mail.sh
	@sh tests/setup_promtool.sh
	$(BIN)/python -m pytest -m "not server and not browser" -n 2 --dist loadfile; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]
	$(BIN)/python -m pytest -m "browser and not server"; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]
	SLAOPS_TEST_SERVERS=1 $(BIN)/python -m pytest -m "server or both"; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

# Benchmarks print a table and a ratio against a baseline measured in the same run. The database
# ones use a scratch PostgreSQL database (BENCH_DATABASE_URL, default slaops_bench on 127.0.0.1).
bench: $(STAMP)
	$(BIN)/python bench/business_time.py
	$(BIN)/python bench/import_threads.py 20000
	$(BIN)/python bench/api_ingest.py 10
	$(BIN)/python bench/evaluator.py
	$(BIN)/python bench/alert_latency.py 300 120
	$(BIN)/python bench/alert_burst.py 500 0.25
	$(BIN)/python bench/metrics_figures.py 10000 1000000
	$(BIN)/python bench/queue_page.py 10000 1000000
	$(BIN)/python bench/inbox_page.py 10000 1000000
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/objectives.py
	$(BIN)/python bench/whatif.py
	$(BIN)/python bench/mail_ingest.py 2000

# The documentation site, warnings as errors (tests/test_docs.py builds it in `make test` too).
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -b html -d $(DOCS_OUT).doctrees docs $(DOCS_OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
