#!/usr/bin/env bash
# Make the local PostgreSQL ready for the test suite:
#   start cluster (default 15/main) if stopped, wait until it accepts connections,
#   create (idempotently) login role `attentive` / password `attentive` and database `attentive`.
# Exit codes: 0 ready, 2 PostgreSQL not available here (no pg_ctlcluster / not root), 1 error.
# Prints the DATABASE_URL on stdout when ready.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
URL="postgres://attentive:attentive@127.0.0.1:${PG_PORT}/attentive"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    log "pg_ctlcluster not found"
    exit 2
fi
if [[ "$(id -u)" != 0 ]]; then
    log "not root: cannot manage the PostgreSQL cluster"
    exit 2
fi
if ! pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {f=1} END {exit !f}'; then
    log "PostgreSQL cluster $PG_VERSION/$PG_CLUSTER does not exist"
    exit 2
fi

status="$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}')"
if [[ "$status" != online* ]]; then
    log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
    # pg_ctlcluster talks on stdout ("Removed stale pid file."); stdout carries only the URL.
    if ! pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2; then
        # A machine image saved while PostgreSQL ran can carry a socket lock file whose
        # PID now belongs to another process; PostgreSQL then refuses to start. Remove
        # it when that PID is not a postgres process, and try once more.
        lock="/var/run/postgresql/.s.PGSQL.${PG_PORT}.lock"
        pid="$(head -n 1 "$lock" 2>/dev/null || true)"
        if [[ -n $pid ]] && [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" != postgres* ]]; then
            log "removing stale $lock (PID $pid is not PostgreSQL) and retrying"
            rm -f "$lock"
            pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2
        else
            die "could not start PostgreSQL $PG_VERSION/$PG_CLUSTER"
        fi
    fi
fi

psql_su() { su postgres -c "psql -X -q -v ON_ERROR_STOP=1 -p $PG_PORT $*"; }

ready=0
for _ in $(seq 1 60); do
    if su postgres -c "pg_isready -q -p $PG_PORT" >/dev/null 2>&1 \
        && psql_su "-tAc 'select 1'" >/dev/null 2>&1; then
        ready=1; break
    fi
    sleep 0.5
done
[[ $ready == 1 ]] || die "PostgreSQL $PG_VERSION/$PG_CLUSTER did not become ready within 30s"

psql_su "-d postgres" >&2 <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attentive') THEN
        CREATE ROLE attentive LOGIN PASSWORD 'attentive' CREATEDB SUPERUSER;
    ELSE
        ALTER ROLE attentive LOGIN PASSWORD 'attentive' CREATEDB SUPERUSER;
    END IF;
END
$$;
SQL
if [[ "$(psql_su "-d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = 'attentive'\"")" != 1 ]]; then
    psql_su "-d postgres -c 'CREATE DATABASE attentive OWNER attentive'" >&2
fi

# Password login over TCP must work (that is what Django uses).
PGCONNECT_TIMEOUT=5 psql -X -q "$URL" -tAc 'select 1' >/dev/null \
    || die "cannot log in as attentive over TCP ($URL); check pg_hba.conf"
log "PostgreSQL ready: $URL"
echo "$URL"
