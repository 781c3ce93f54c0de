#!/usr/bin/env bash
# Make Debian's chromium available for the browser (Playwright) tests.
# Installs it with apt-get when /usr/bin/chromium is missing and we are root.
# Never fails: prints a notice instead. Set SKIP_CHROMIUM=1 to skip the install attempt.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi
if [[ "${SKIP_CHROMIUM:-0}" == 1 ]]; then
    warn "chromium not installed (SKIP_CHROMIUM=1): browser tests will skip"
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    warn "chromium not installed and not root: run 'sudo apt-get install chromium'; browser tests will skip"
    exit 0
fi
log "installing Debian's chromium (one time, takes a minute or two)"
log_file="$(mktemp -t chromium-install.XXXXXX)"
if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
        >"$log_file" 2>&1 && [[ -x "$CHROMIUM" ]]; then
    log "chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    rm -f "$log_file"
else
    tail -n 20 "$log_file" >&2
    warn "could not install chromium (log: $log_file): browser tests will skip"
fi
exit 0
