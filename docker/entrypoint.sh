#!/bin/sh
# Entrypoint of the Sales Ops image.
#
# On start, unless TRYTOND_DB_INIT=0, it checks the database named by
# TRYTOND_DATABASE_NAME (default: the first of TRYTOND_DATABASE_NAMES, else
# "sales_ops"). If the Sales Ops modules are not activated there yet, it
# creates the PostgreSQL database if missing and runs
#   trytond-admin -c $TRYTOND_CONFIG -d $DB --all -u sales_ops_incentive
#       --activate-dependencies --email $TRYTOND_ADMIN_EMAIL
# with the admin password taken from TRYTOND_ADMIN_PASSWORD_FILE (e.g. a
# Docker secret) or TRYTOND_ADMIN_PASSWORD (default: "change me" - change it).
# Then it execs the command (CMD), with TRYTOND_DATABASE_NAMES set so the
# server starts with the database named (trytond 8.0.12 login bug, see
# TRYTON-NOTES.md).
#
# Only one container should initialise: in docker-compose.yml the `trytond`
# service does it, `cron` and `worker` set TRYTOND_DB_INIT=0 and wait for it.
set -eu

: "${TRYTOND_CONFIG:=/etc/trytond.conf}"
if [ -z "${TRYTOND_DATABASE_NAME:-}" ]; then
    TRYTOND_DATABASE_NAME="${TRYTOND_DATABASE_NAMES:-sales_ops}"
    TRYTOND_DATABASE_NAME="${TRYTOND_DATABASE_NAME%%,*}"
fi
: "${TRYTOND_DATABASE_NAMES:=$TRYTOND_DATABASE_NAME}"
export TRYTOND_CONFIG TRYTOND_DATABASE_NAME TRYTOND_DATABASE_NAMES
DB="$TRYTOND_DATABASE_NAME"

# Exit status: 0 the database is ready, 3 it must be initialised, other: error.
# Waits up to TRYTOND_DB_WAIT seconds (default 60) for the database server.
db_state() {
    python - "$DB" <<'EOF'
import os
import sqlite3
import sys
import time
import urllib.parse

from trytond import config

name = sys.argv[1]
module = 'sales_ops_incentive'
uri = urllib.parse.urlparse(config.get('database', 'uri'))

if uri.scheme.startswith('postgresql'):
    import psycopg
    from psycopg import sql

    def conninfo(dbname):
        return uri._replace(scheme='postgresql', path='/' + dbname).geturl()

    deadline = time.monotonic() + int(os.environ.get('TRYTOND_DB_WAIT', 60))
    while True:
        try:
            conn = psycopg.connect(conninfo(name), connect_timeout=5)
            break
        except psycopg.OperationalError as exception:
            if 'does not exist' in str(exception):
                print(f'creating database "{name}"', file=sys.stderr)
                with psycopg.connect(
                        conninfo('postgres'), autocommit=True) as admin:
                    admin.execute(sql.SQL(
                            "CREATE DATABASE {} TEMPLATE template0 "
                            "ENCODING 'unicode'").format(
                            sql.Identifier(name)))
                continue
            if time.monotonic() > deadline:
                print(f'database server not reachable: {exception}',
                    file=sys.stderr)
                sys.exit(2)
            time.sleep(2)
    with conn:
        if conn.execute(
                "SELECT to_regclass('ir_module')").fetchone()[0] is None:
            sys.exit(3)
        row = conn.execute(
            "SELECT state FROM ir_module WHERE name = %s",
            (module,)).fetchone()
elif uri.scheme == 'sqlite':
    path = os.path.join(config.get('database', 'path'), name + '.sqlite')
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'a').close()
        sys.exit(3)
    conn = sqlite3.connect(path)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master "
                "WHERE type = 'table' AND name = 'ir_module'").fetchone():
            sys.exit(3)
        row = conn.execute(
            "SELECT state FROM ir_module WHERE name = ?",
            (module,)).fetchone()
    finally:
        conn.close()
else:
    print(f'unsupported database uri scheme: {uri.scheme}', file=sys.stderr)
    sys.exit(2)
sys.exit(0 if row and row[0] == 'activated' else 3)
EOF
}

init_db() {
    password="${TRYTOND_ADMIN_PASSWORD:-change me}"
    if [ -n "${TRYTOND_ADMIN_PASSWORD_FILE:-}" ]; then
        password="$(head -n 1 "$TRYTOND_ADMIN_PASSWORD_FILE")"
    elif [ -z "${TRYTOND_ADMIN_PASSWORD:-}" ]; then
        echo "entrypoint: WARNING: no TRYTOND_ADMIN_PASSWORD(_FILE)," \
            "the admin password is the default \"change me\"" >&2
    fi
    passfile="$(umask 077 && mktemp)"
    printf '%s\n' "$password" > "$passfile"
    echo "entrypoint: initialising database \"$DB\"" \
        "(module sales_ops_incentive and dependencies)" >&2
    status=0
    TRYTONPASSFILE="$passfile" trytond-admin -c "$TRYTOND_CONFIG" -d "$DB" \
        --all -u sales_ops_incentive --activate-dependencies \
        --email "${TRYTOND_ADMIN_EMAIL:-admin@example.com}" -p \
        || status=$?
    rm -f "$passfile"
    return "$status"
}

if [ "${TRYTOND_DB_INIT:-1}" != 0 ]; then
    state=0
    db_state || state=$?
    case "$state" in
        0) echo "entrypoint: database \"$DB\" is initialised" >&2 ;;
        3) init_db ;;
        *) echo "entrypoint: cannot check database \"$DB\"" >&2
           exit "$state" ;;
    esac
fi

exec "$@"
