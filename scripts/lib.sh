# Shared helpers for scripts/*.sh. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf '\n!!! %s\n\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
is_ci() { [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; }

# find_python MAJOR.MINOR -> prints an absolute path to an interpreter of that version.
# Tries pythonX.Y on PATH, then pyenv's installed versions (newest patch release first).
find_python() {
    local want="$1" exe="python$1" cand v root
    if cand="$(command -v "$exe" 2>/dev/null)" \
        && "$cand" -c 'import sys' >/dev/null 2>&1; then
        "$cand" -c 'import sys; print(sys.executable)'
        return 0
    fi
    if command -v pyenv >/dev/null 2>&1; then
        root="$(pyenv root)"
        for v in $(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3,3nr); do
            if [[ -x "$root/versions/$v/bin/$exe" ]]; then
                echo "$root/versions/$v/bin/$exe"
                return 0
            fi
        done
    fi
    return 1
}
