#!/usr/bin/env bash
# Create or refresh one virtualenv with the project installed editable, plus the dev extra
# (and, in .venv, the docs extra: `make test` builds the docs site there).
#
#   scripts/venv.sh VENV_DIR PYTHON_VERSION [DJANGO_SPEC]
#   scripts/venv.sh .venv     3.11 'Django>=5.2,<6'
#   scripts/venv.sh .venv-dj6 3.12 'Django>=6,<7'
#   EXTRAS=dev,oscar scripts/venv.sh .venv-oscar 3.11 'Django>=5.2,<6'
#
# pip runs only when pyproject.toml, the Django spec or the interpreter changed since the
# last successful install (stamp file: VENV_DIR/.attentive-stamp). FORCE_PIP=1 overrides.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 2 ]] || die "usage: $0 VENV_DIR PYTHON_VERSION [DJANGO_SPEC]"
venv="$1"; pyver="$2"; django_spec="${3:-}"
default_extras=dev
[[ "$(basename "$venv")" == .venv ]] && default_extras=dev,docs
extras="${EXTRAS:-$default_extras}"
[[ "$venv" = /* ]] || venv="$ROOT/$venv"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    py="$(find_python "$pyver")" || die "Python $pyver not found (looked for python$pyver on PATH and in pyenv)"
    log "creating $(basename "$venv") with $py"
    rm -rf "$venv"
    "$py" -m venv "$venv"
fi

actual="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$actual" == "$pyver" ]] || die "$venv has Python $actual, expected $pyver (delete it and rerun)"

stamp="$venv/.attentive-stamp"
want="$( { cat "$ROOT/pyproject.toml"; echo "django=$django_spec extras=$extras"; echo "python=$("$venv/bin/python" -VV)"; } | sha256sum | cut -d' ' -f1)"
if [[ "${FORCE_PIP:-0}" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi

log "installing into $(basename "$venv"): -e .[$extras] ${django_spec}"
rm -f "$stamp"
# pip's output (build-backend chatter, warnings about this machine's pip.conf) goes to a log
# that is shown only when pip fails.
piplog="$venv/pip-install.log"
pip=("$venv/bin/python" -m pip -q --disable-pip-version-check)
args=(-e "$ROOT[$extras]")
[[ -n "$django_spec" ]] && args+=("$django_spec")
if ! { "${pip[@]}" install --upgrade pip \
        && (cd "$ROOT" && "${pip[@]}" install "${args[@]}"); } >"$piplog" 2>&1; then
    grep -v "^WARNING: Location 'file://" "$piplog" >&2 || true
    die "pip install into $venv failed (full log: $piplog)"
fi
echo "$want" > "$stamp"
log "$(basename "$venv"): $("$venv/bin/python" -c 'import django, sys; print("Python %d.%d.%d" % sys.version_info[:3], "Django", django.get_version())')"
