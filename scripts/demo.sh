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
exec "$py" manage.py runserver "127.0.0.1:${PORT:-8000}"
