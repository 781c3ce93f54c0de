#!/usr/bin/env bash
# make demo: set up .venv (Python 3.11, Django 5.2) and run the example project.
#   PORT=8001 make demo
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

"$ROOT/scripts/venv.sh" .venv 3.11 'Django>=5.2,<6'
[[ -f manage.py ]] || die "manage.py not found at the repo root"
py=.venv/bin/python
"$py" manage.py migrate --noinput
"$py" manage.py demo_setup
# A worker beside the server sends bulk texts, retries and scheduled texts, as in production.
"$py" manage.py attentive_send_queued --loop --concurrency 4 --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null; wait "$worker" 2>/dev/null' EXIT INT TERM
"$py" manage.py runserver "127.0.0.1:${PORT:-8000}"
