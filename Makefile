# Sales Ops — the two commands: `make run` and `make test`.
#   make run                 demo database on SQLite, web client on :8000
#   make run DB=postgresql   the same on the local PostgreSQL
#   make test                every test on SQLite
#   make test DB=postgresql  every test on PostgreSQL (own databases, dropped)

DB ?= sqlite
DEMO_DB ?= sales_ops
SAO_VERSION ?= 8.0.11
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
SAO := var/sao/package

ifeq ($(DB),postgresql)
CONFIG := config/postgresql.conf
TEST_URI := postgresql://
# Tryton's test cache keeps template databases named test-<hash>
TEST_CACHE := postgresql://
else ifeq ($(DB),sqlite)
CONFIG := config/trytond.conf
TEST_URI := sqlite://
TEST_CACHE := $(CURDIR)/var/cache/test-sqlite
else
$(error DB must be sqlite or postgresql)
endif

export TRYTOND_DATABASE__PATH := $(CURDIR)/var/db
export TRYTOND_WEB__ROOT := $(CURDIR)/$(SAO)

.PHONY: run test install demo clean-test-cache clean

run: install $(SAO)/index.html demo
	@echo "Sales Ops web client: http://127.0.0.1:8000/#$(DEMO_DB)"
	PYTHONOPTIMIZE=1 $(BIN)/trytond -c $(CONFIG) -d $(DEMO_DB)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# The web client from npm: its dist/ is prebuilt, only runtime packages needed
$(SAO)/index.html:
	rm -rf var/sao && mkdir -p var/sao
	cd var/sao && npm pack --silent tryton-sao@$(SAO_VERSION) \
		&& tar -xzf tryton-sao-$(SAO_VERSION).tgz && rm tryton-sao-$(SAO_VERSION).tgz
	cd $(SAO) && npm install --omit=dev --legacy-peer-deps --no-audit --no-fund --silent
	test -f $@

# Builds the demo database once; later runs reuse it
demo: install
	PYTHONOPTIMIZE=1 $(BIN)/python scripts/demo.py -c $(CONFIG) -d $(DEMO_DB)

test: install $(SAO)/index.html
	$(MAKE) clean-test-cache
	TRYTOND_DATABASE__URI=$(TEST_URI) DB_CACHE=$(TEST_CACHE) \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
		status=$$?; $(MAKE) --no-print-directory clean-test-cache; exit $$status

# Caches are keyed by module names only: never reuse them across runs
clean-test-cache:
ifeq ($(DB),postgresql)
	@psql -qAt -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'test-%' OR datname LIKE 'test\_%'" \
		| while read db; do dropdb --if-exists "$$db"; done
else
	@rm -rf $(TEST_CACHE)
endif

clean:
	rm -rf var $(VENV)
