# Sales Ops: trytond 8.0 with the sales_ops_* modules and the sao web client.
#
#   docker build -t sales-ops:8.0 .
#   docker-compose up        (postgres + trytond (WSGI) + cron + worker)
#
# The image runs trytond.application:app under gunicorn (WEB_CONCURRENCY worker
# processes); the same image runs trytond-cron and trytond-worker (see
# docker-compose.yml). docker/entrypoint.sh initialises the database on first
# start.

# --- web client: sao from npm (8.0, like the server), nodejs only here -------
FROM python:3.11-slim AS sao
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/sao
# dist/ is prebuilt in the npm package: no grunt build. Without
# --legacy-peer-deps npm fails with ERESOLVE.
RUN npm pack tryton-sao@8.0.11 \
    && tar -xzf tryton-sao-*.tgz \
    && rm tryton-sao-*.tgz \
    && cd package \
    && npm install --omit=dev --legacy-peer-deps \
    && npm cache clean --force

# --- server -----------------------------------------------------------------
FROM python:3.11-slim

# PYTHONOPTIMIZE=1: trytond 8.0.12 runs asserts over the whole id list for
# every browsed record (quadratic on large browses); set before pip so the
# installed bytecode is the optimised one.
ENV PYTHONUNBUFFERED=1 \
    PYTHONOPTIMIZE=1 \
    TRYTOND_CONFIG=/etc/trytond.conf \
    TRYTOND_WEB__ROOT=/opt/sao/package \
    TRYTOND_DATABASE__PATH=/var/lib/trytond/db \
    WEB_CONCURRENCY=4
# The database is TRYTOND_DATABASE_NAME (default sales_ops); the entrypoint
# sets TRYTOND_DATABASE_NAMES from it unless given.

# Pango: for HTML reports rendered to PDF by weasyprint. libpq is not needed:
# psycopg[binary] brings its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# README* so that the build still works while README.md is absent
COPY pyproject.toml README* ./
COPY addons/ ./addons/
COPY config/ ./config/
# gunicorn is the image's WSGI server, not a dependency of the project.
RUN rm -rf addons/*.egg-info \
    && pip install --no-cache-dir . "gunicorn>=23,<28" \
    && rm -rf build addons/*.egg-info

COPY config/docker.conf /etc/trytond.conf
COPY docker/entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --from=sao /opt/sao /opt/sao

RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh \
    && groupadd --system trytond \
    && useradd --system --gid trytond --create-home --home-dir /home/trytond \
        --shell /usr/sbin/nologin trytond \
    && mkdir -p /var/lib/trytond/db \
    && chown -R trytond:trytond /var/lib/trytond

USER trytond
WORKDIR /var/lib/trytond
# filestore ([database] path = TRYTOND_DATABASE__PATH); the home directory is
# elsewhere so that per-container files (gunicorn's control socket) stay out of
# the shared volume.
VOLUME ["/var/lib/trytond"]
EXPOSE 8000

ENTRYPOINT ["docker-entrypoint.sh"]
# --preload: the pool of TRYTOND_DATABASE_NAMES is loaded once in the master,
# then forked into the workers.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--preload", "--timeout", "300", \
     "--access-logfile", "-", "trytond.application:app"]
