#!/usr/bin/env bash
# Make a local Redis ready for the RQ tests (Django Tasks on RQ):
#   install redis-server if it is missing (root only: apt-get update + install),
#   start it on 127.0.0.1:$REDIS_PORT (daemonized, no persistence) if nothing answers there,
#   wait until PING answers.
# Exit codes: 0 ready, 2 Redis not available here (not installed and not root), 1 error.
# Prints the Redis URL on stdout when ready; everything else goes to stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_PORT="${REDIS_PORT:-6379}"
URL="redis://127.0.0.1:${REDIS_PORT}/0"

ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        log "redis-server is not installed, and this is not root with apt-get: cannot install it"
        exit 2
    fi
    log "installing redis-server (apt-get)"
    # apt-get talks on stdout; stdout carries only the URL.
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends redis-server >&2 \
        || die "apt-get install redis-server failed"
fi

if ! ping; then
    log "starting redis-server on 127.0.0.1:$REDIS_PORT"
    # No RDB snapshots and no AOF: the queue is test data, and a save would only cost time.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --save '' --appendonly no --protected-mode yes \
        --logfile "${TMPDIR:-/tmp}/attentive-redis-${REDIS_PORT}.log" \
        --pidfile "${TMPDIR:-/tmp}/attentive-redis-${REDIS_PORT}.pid" >&2 \
        || die "could not start redis-server on port $REDIS_PORT"
fi

ready=0
for _ in $(seq 1 60); do
    if ping; then ready=1; break; fi
    sleep 0.25
done
[[ $ready == 1 ]] || die "Redis on 127.0.0.1:$REDIS_PORT did not answer PING within 15s"
log "Redis ready: $URL"
echo "$URL"
