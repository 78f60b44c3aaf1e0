#!/usr/bin/env bash
# Installs what chaoscope's runtime, tests and benchmarks use, when it is missing: the system packages
# (`chaoscope doctor` reports the runtime's and the benchmarks'); from PyPI, each into a virtualenv outside the
# repository, one per version, with the dependencies pinned in scripts/*-requirements.txt: schemathesis, which the
# OpenAPI test (test/e2e/openapi.test.ts) runs, and the real Chaos Toolkit, the oracle of the `chaoscope run` tests
# (about 15 s each from PyPI with no pip cache); and vegeta, the load tool the public Chaos Toolkit demo
# experiments call, built with `go install` from the Go module proxy into ~/.cache/chaoscope/vegeta-<version>.
# Idempotent: apt-get, pip and go run only when something is not installed.
set -euo pipefail
cd "$(dirname "$0")"

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/chaoscope"
VEGETA_VERSION=12.13.0

# venv_current NAME REQUIREMENTS: the virtualenv is complete once its marker holds the pins it was made from.
venv_dir() { echo "$CACHE/venv-$1-$(sed -n "s/^$1==//p" "$2")"; }
venv_current() {
  local dir pins
  dir=$(venv_dir "$1" "$2")
  pins=$(grep -v '^#' "$2" | sort)
  [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$pins" ] && "$dir/bin/python" -c '' >/dev/null 2>&1
}
# install_venv NAME REQUIREMENTS COMMAND: COMMAND --version proves it works.
install_venv() {
  local dir pins
  dir=$(venv_dir "$1" "$2")
  pins=$(grep -v '^#' "$2" | sort)
  if venv_current "$1" "$2"; then
    echo "setup: $1 present ($dir)"
    return
  fi
  echo "setup: installing $1 into $dir"
  rm -rf "$dir"
  mkdir -p "$CACHE"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$2"
  "$dir/bin/$3" --version >/dev/null
  printf '%s' "$pins" >"$dir/.complete"
}

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
  "golang-go:go"
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
if { ! venv_current schemathesis schemathesis-requirements.txt || ! venv_current chaostoolkit chaostoolkit-requirements.txt; } && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
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

install_venv schemathesis schemathesis-requirements.txt schemathesis
install_venv chaostoolkit chaostoolkit-requirements.txt chaos

VEGETA="$CACHE/vegeta-$VEGETA_VERSION/vegeta"
if [ -x "$VEGETA" ]; then
  echo "setup: vegeta $VEGETA_VERSION present ($VEGETA)"
else
  echo "setup: building vegeta $VEGETA_VERSION with go install into $(dirname "$VEGETA")"
  mkdir -p "$(dirname "$VEGETA")"
  GOBIN="$(dirname "$VEGETA")" GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@v$VEGETA_VERSION"
fi
