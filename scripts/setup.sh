#!/usr/bin/env bash
# Installs what chaoscope's runtime, tests and benchmarks use, when it is missing: the system packages
# (`chaoscope doctor` reports the runtime's and the benchmarks'), and schemathesis, which the OpenAPI test
# (test/e2e/openapi.test.ts) runs, from PyPI into a virtualenv outside the repository, one per version, with the
# dependencies pinned in scripts/schemathesis-requirements.txt (about 15 s from PyPI with no pip cache).
# Idempotent: apt-get and pip run only when something is not installed.
set -euo pipefail
cd "$(dirname "$0")"

REQUIREMENTS=schemathesis-requirements.txt
SCHEMATHESIS_VERSION=$(sed -n 's/^schemathesis==//p' "$REQUIREMENTS")
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/chaoscope/venv-schemathesis-$SCHEMATHESIS_VERSION"
# The virtualenv is complete once its marker holds the pins it was made from.
PINS=$(grep -v '^#' "$REQUIREMENTS" | sort)
venv_current() { [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$PINS" ] && "$VENV/bin/python" -c '' >/dev/null 2>&1; }

# package:command-that-proves-it-is-there
PACKAGES=(
  "util-linux:setpriv"
  "wrk:wrk"
  "haproxy:haproxy"
  "python3:python3"
  "stress-ng:stress-ng"
  "gcc:gcc"
  "libc6-dev:/usr/include/stdio.h"
  "redis-server:redis-server"
  "redis-tools:redis-cli"
  "postgresql-15:/usr/lib/postgresql/15/bin/postgres"
  "postgresql-client-15:psql"
)

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg=${entry%%:*}
  probe=${entry#*:}
  if ! command -v "$probe" >/dev/null 2>&1 && [ ! -e "$probe" ] && ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
# `python3 -m venv` needs ensurepip, which Debian ships apart (python3-venv); only needed to make the virtualenv.
if ! venv_current && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present"
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if venv_current; then
  echo "setup: schemathesis $SCHEMATHESIS_VERSION present ($VENV)"
else
  echo "setup: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  "$VENV/bin/schemathesis" --version >/dev/null
  printf '%s' "$PINS" >"$VENV/.complete"
fi
