# Clearhouse — the two commands: `make run` (embedded demo) and `make test` (PostgreSQL + Redis).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Test services (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clearhouse
TEST_REDIS_URL ?= redis://127.0.0.1:6379
PYTEST_ARGS ?= -n 2

.PHONY: run production test install lint imports migrate demo clean bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed-dev: $(VENV)/bin/python requirements/base.txt requirements/dev.txt
	$(VENV)/bin/pip install --quiet -r requirements/dev.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/python requirements/base.txt requirements/dev.txt requirements/test.txt
	$(VENV)/bin/pip install --quiet -r requirements/test.txt
	touch $@ $(VENV)/.installed-dev

install: $(VENV)/.installed-dev

# Embedded default: SQLite file + filesystem Celery broker; web, worker and beat via honcho.
# The web process binds 127.0.0.1 (config/gunicorn.py); HOST=0.0.0.0 (or BIND=addr:port) opens it.
run: $(VENV)/.installed-dev
	mkdir -p var/broker/queue var/broker/processed var/broker/control var/media
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	@echo "Serving on http://$${HOST:-127.0.0.1}:$(PORT)/ — API docs /v1/docs, back office /admin/ (Ctrl-C stops all three processes)"
	@echo "Only this machine can reach it; HOST=0.0.0.0 make run opens it to the network (demo passwords, 2FA off)."
	ADMIN_2FA_REQUIRED=$${ADMIN_2FA_REQUIRED:-false} $(VENV)/bin/honcho start -p $(PORT)

# Production-like: nginx (config/nginx.conf, rendered into var/nginx/) on $(PORT) buffers every
# request and answer in front of gunicorn on $$UPSTREAM (127.0.0.1:8001), plus worker and beat
# (Procfile.production). Needs nginx (`apt-get install nginx`) and the production settings (README).
production: $(VENV)/.installed-dev
	@test -x "$${NGINX:-/usr/sbin/nginx}" || { echo "nginx not found: apt-get install -y nginx (or NGINX=/path/to/nginx)"; exit 1; }
	mkdir -p var/nginx
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Serving on http://$${HOST:-127.0.0.1}:$(PORT)/ through nginx -> gunicorn on $${UPSTREAM:-127.0.0.1:8001}"
	$(VENV)/bin/honcho -f Procfile.production start -p $(PORT)

test: $(VENV)/.installed-test
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check_services.py
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL)/0 CACHE_URL=$(TEST_REDIS_URL)/1 \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The import contract in .importlinter: the layers of apps and what each layer may import.
imports: $(VENV)/.installed-dev
	$(VENV)/bin/lint-imports --no-cache

bench: $(VENV)/.installed-test
	@ls bench/*.py | sed 's/^/  /'; echo "Run one with: DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/<script>.py"

clean:
	rm -rf var staticfiles
