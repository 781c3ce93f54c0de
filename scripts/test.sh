#!/usr/bin/env bash
# The whole test suite: checks once, then the matrix
#   {Django 5.2 / Python 3.11 in .venv, Django 6.x / Python 3.12 in .venv-dj6} x {SQLite, PostgreSQL}.
#
#   scripts/test.sh [PYTEST ARGS...]          e.g. scripts/test.sh -k outbox
#   LEGS="dj6-sqlite" scripts/test.sh         run only some legs (space separated)
#   CHECKS=0 scripts/test.sh                  skip ruff / makemigrations
#
# Legs: dj52-sqlite dj52-postgres dj6-sqlite dj6-postgres oscar (django-oscar adapter),
# demo (scripts/demo_smoke.py: `make demo` as a newcomer uses it, in chromium).
# Without PostgreSQL the postgres legs are skipped with a notice, except under CI=true,
# where that is a failure; likewise Redis for the RQ tests (marker rq) in the postgres legs.
# pytest's "no tests collected" (exit 5) counts as a failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ALL_LEGS="dj52-sqlite dj52-postgres dj6-sqlite dj6-postgres oscar demo"
LEGS="${LEGS:-$ALL_LEGS}"
CHECKS="${CHECKS:-1}"
LEG_TIMEOUT="${LEG_TIMEOUT:-1080}"   # seconds per pytest leg; 4 legs stay well under CI's 90 min
DEMO_TIMEOUT="${DEMO_TIMEOUT:-900}"  # seconds for the demo smoke run (about 20 s when healthy)

for leg in $LEGS; do
    [[ " $ALL_LEGS " == *" $leg "* ]] || die "unknown leg '$leg' (known: $ALL_LEGS)"
done
wants() { [[ " $LEGS " == *"$1"* ]]; }

start_all=$SECONDS
declare -a R_NAME=() R_RESULT=() R_SECS=() R_DETAIL=()
failed=0
record() {  # name result seconds detail
    R_NAME+=("$1"); R_RESULT+=("$2"); R_SECS+=("$3"); R_DETAIL+=("${4:-}")
    [[ "$2" == ok || "$2" == skipped ]] || failed=1
}
header() {
    printf '\n'
    printf '=%.0s' {1..78}; printf '\n'
    printf '== %s\n' "$*"
    printf '=%.0s' {1..78}; printf '\n'
}

# ---------------------------------------------------------------- setup
header "setup: virtualenvs, chromium, PostgreSQL, Redis"
t=$SECONDS
"$ROOT/scripts/venv.sh" .venv 3.11 'Django>=5.2,<6'
if wants dj6; then
    "$ROOT/scripts/venv.sh" .venv-dj6 3.12 'Django>=6,<7'
fi
if wants oscar; then
    EXTRAS=dev,oscar "$ROOT/scripts/venv.sh" .venv-oscar 3.11 'Django>=5.2,<6'
fi

"$ROOT/scripts/ensure_chromium.sh"
if [[ -x /usr/bin/chromium ]]; then
    export ATTENTIVE_BROWSER=/usr/bin/chromium
    log "browser tests use ATTENTIVE_BROWSER=$ATTENTIVE_BROWSER"
else
    unset ATTENTIVE_BROWSER
fi

PG_URL=""
pg_state=none   # none | ready | unavailable | broken
if wants postgres; then
    set +e
    PG_URL="$("$ROOT/scripts/postgres.sh")"
    rc=$?
    # The URL is the last line; anything a tool printed before it is not ours to parse.
    PG_URL="$(printf '%s\n' "$PG_URL" | tail -n 1)"
    if [[ $rc == 0 && $PG_URL != postgres://* ]]; then
        warn "scripts/postgres.sh printed no postgres:// URL (got: $PG_URL)"
        rc=1
    fi
    set -e
    case $rc in
        0) pg_state=ready ;;
        2) pg_state=unavailable ;;
        *) pg_state=broken ;;
    esac
    if [[ $pg_state == unavailable ]]; then
        if is_ci; then
            warn "PostgreSQL is not available, and CI=true requires it: the postgres legs FAIL"
        else
            warn "**************************************************************************
!!! PostgreSQL is NOT available on this machine: running the SQLite legs ONLY.
!!! The postgres legs are skipped; CI runs them. See docs/development.md.
!!! **************************************************************************"
        fi
    elif [[ $pg_state == broken ]]; then
        warn "PostgreSQL setup failed (see above): the postgres legs FAIL"
    fi
fi
# Redis for the RQ tests (tests/test_rq.py, marker `rq`), which run in the postgres legs.
# Unavailable: they skip with a notice; under CI=true they fail (the tests themselves say so).
redis_state=none   # none | ready | unavailable | broken
if wants postgres; then
    set +e
    redis_url="$("$ROOT/scripts/redis.sh")"
    rc=$?
    redis_url="$(printf '%s\n' "$redis_url" | tail -n 1)"
    if [[ $rc == 0 && $redis_url != redis://* ]]; then
        warn "scripts/redis.sh printed no redis:// URL (got: $redis_url)"
        rc=1
    fi
    set -e
    case $rc in
        0) redis_state=ready; export REDIS_URL="$redis_url" ;;
        2) redis_state=unavailable ;;
        *) redis_state=broken ;;
    esac
    if [[ $redis_state != ready ]]; then
        if is_ci; then
            warn "Redis is not available, and CI=true requires it: the RQ tests FAIL"
        else
            warn "Redis is NOT available on this machine: the RQ tests (marker rq) are skipped.
!!! CI runs them; \`bash scripts/redis.sh\` as root installs and starts Redis."
        fi
    fi
fi
record setup ok $((SECONDS - t))

# ---------------------------------------------------------------- checks (once, in .venv)
run_check() {  # name command...
    local name="$1"; shift
    local t0=$SECONDS rc=0
    printf '\n--- %s: %s\n' "$name" "$*"
    "$@" || rc=$?
    if [[ $rc == 0 ]]; then record "$name" ok $((SECONDS - t0))
    else record "$name" FAILED $((SECONDS - t0)) "exit $rc"; fi
}
if [[ "$CHECKS" != 0 ]]; then
    header "checks (Python 3.11, Django 5.2)"
    run_check "ruff check" .venv/bin/ruff check .
    run_check "ruff format" .venv/bin/ruff format --check .
    run_check "import rules" .venv/bin/lint-imports --no-cache
    run_check "mypy" .venv/bin/mypy
    run_check "docs" env NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir "$(mktemp -d)"
    if [[ -f manage.py ]]; then
        run_check "makemigrations" env -u DATABASE_URL .venv/bin/python manage.py makemigrations --check --dry-run
    else
        record makemigrations FAILED 0 "manage.py missing"
    fi
fi

# ---------------------------------------------------------------- pytest legs
run_leg() {  # leg venv db
    local leg="$1" venv="$2" db="$3"
    shift 3
    local t0=$SECONDS rc=0 out summary versions
    if [[ $db == postgres && $pg_state != ready ]]; then
        if [[ $pg_state == unavailable ]] && ! is_ci; then
            record "$leg" skipped 0 "PostgreSQL not available"
        else
            record "$leg" FAILED 0 "PostgreSQL not available"
        fi
        return 0
    fi
    versions="$("$ROOT/$venv/bin/python" -c 'import django, sys; print("Python %d.%d.%d" % sys.version_info[:3] + ", Django " + django.get_version())')"
    header "$leg: $versions, $db"
    out="$(mktemp -t "attentive-$leg.XXXXXX")"
    (
        export VIRTUAL_ENV="$ROOT/$venv" PATH="$ROOT/$venv/bin:$PATH"
        if [[ $db == postgres ]]; then export DATABASE_URL="$PG_URL"; else unset DATABASE_URL; fi
        timeout -k 30 "$LEG_TIMEOUT" python -m pytest -p no:cacheprovider -q "$@"
    ) 2>&1 | tee "$out" || rc=${PIPESTATUS[0]}
    summary="$(grep -E '(passed|failed|errors?|skipped|deselected|xfailed|xpassed|no tests ran).* in [0-9.]+s' "$out" | tail -n 1 | sed -E 's/^=+ //; s/ =+$//' || true)"
    rm -f "$out"
    case $rc in
        0) record "$leg" ok $((SECONDS - t0)) "$summary" ;;
        5) record "$leg" FAILED $((SECONDS - t0)) "no tests collected (pytest exit 5)" ;;
        124|137) record "$leg" FAILED $((SECONDS - t0)) "timed out after ${LEG_TIMEOUT}s" ;;
        *) record "$leg" FAILED $((SECONDS - t0)) "pytest exit $rc${summary:+: $summary}" ;;
    esac
}
# `make demo` end to end: scripts/demo_smoke.py starts it on a free port and a throwaway
# SQLite file, then drives the README's steps in chromium (docs/development.md).
run_demo() {
    local t0=$SECONDS rc=0 out detail
    header "demo: make demo as a newcomer uses it (scripts/demo_smoke.py, chromium)"
    out="$(mktemp -t attentive-demo.XXXXXX)"
    timeout -k 60 "$DEMO_TIMEOUT" .venv/bin/python scripts/demo_smoke.py 2>&1 | tee "$out" \
        || rc=${PIPESTATUS[0]}
    detail="$(grep -E '^demo-smoke: (OK|FAILED|SKIPPED)' "$out" | tail -n 1 \
        | sed -E 's/^demo-smoke: (OK: |FAILED: |SKIPPED: )?//' | cut -c1-100 || true)"
    rm -f "$out"
    case $rc in
        0) record demo ok $((SECONDS - t0)) "$detail" ;;
        77) record demo skipped $((SECONDS - t0)) "$detail" ;;
        124|137) record demo FAILED $((SECONDS - t0)) "timed out after ${DEMO_TIMEOUT}s" ;;
        *) record demo FAILED $((SECONDS - t0)) "exit $rc${detail:+: $detail}" ;;
    esac
}
for leg in $LEGS; do
    case $leg in
        dj52-sqlite)   run_leg "$leg" .venv sqlite "$@" ;;
        dj52-postgres) run_leg "$leg" .venv postgres "$@" ;;
        dj6-sqlite)    run_leg "$leg" .venv-dj6 sqlite "$@" ;;
        dj6-postgres)  run_leg "$leg" .venv-dj6 postgres "$@" ;;
        # The django-oscar adapter, against the real Oscar with its own settings.
        oscar)         DJANGO_SETTINGS_MODULE=tests.oscar_settings \
                           run_leg "$leg" .venv-oscar sqlite -m oscar tests/test_contrib_oscar.py ;;
        demo)          run_demo ;;
    esac
done

# ---------------------------------------------------------------- summary
header "summary"
printf '%-16s %-8s %6s  %s\n' "step" "result" "secs" "details"
printf '%-16s %-8s %6s  %s\n' "---" "------" "----" "-------"
for i in "${!R_NAME[@]}"; do
    printf '%-16s %-8s %6s  %s\n' "${R_NAME[$i]}" "${R_RESULT[$i]}" "${R_SECS[$i]}" "${R_DETAIL[$i]}"
done
total=$((SECONDS - start_all))
printf '\ntotal time: %dm%02ds\n' $((total / 60)) $((total % 60))
if [[ $pg_state == unavailable ]] && ! is_ci; then
    warn "PostgreSQL legs were SKIPPED (PostgreSQL not available here); CI runs them."
fi
if [[ $redis_state != none && $redis_state != ready ]] && ! is_ci; then
    warn "The RQ tests were SKIPPED (Redis not available here); CI runs them."
fi
if [[ $failed != 0 ]]; then
    echo "make test: FAILED"
    exit 1
fi
echo "make test: OK"
