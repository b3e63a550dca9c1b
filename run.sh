#!/usr/bin/env bash
# One entry point that sets everything up on a fresh machine, then does what it is asked:
#   ./run.sh demo          the whole graph on the local default (starts the local stack)
#   ./run.sh test [ARGS]   the test suite (ARGS go to pytest)
#   ./run.sh setup         only the set-up
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv

apt_install() {  # Debian packages, where we may install them: $@ = command:package pairs
  local missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}"); done
  if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

setup() {
  command -v java >/dev/null 2>&1 || echo "note: Spark needs Java 17 (not found on PATH)" >&2
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  stamp="$VENV/.installed-$(cat setup.py | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q torch==2.13.0   # the machine's CPU build, before anything asks for torch
    "$VENV/bin/pip" install -q -e '.[dev]'
    touch "$stamp"
  fi
}

cmd="${1:-demo}"; shift || true
setup
case "$cmd" in
  setup) ;;
  demo) exec "$VENV/bin/podcast-assets" demo "$@" ;;
  test)
    # the browser tests drive Debian's Chromium; the instance-on-Postgres tests run Debian's PostgreSQL server,
    # the workers' test Debian's Redis as the broker
    apt_install chromium:chromium pg_ctlcluster:postgresql redis-server:redis-server
    exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: ./run.sh demo|test|setup" >&2; exit 2 ;;
esac
