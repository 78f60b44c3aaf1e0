#!/usr/bin/env bash
# Installs the system packages chaoscope's runtime, tests and benchmarks use, when they are missing.
# Idempotent: runs apt-get only when a package is not installed. `chaoscope doctor` reports the same list.
set -euo pipefail

# package:command-that-proves-it-is-there
PACKAGES=(
  "util-linux:setpriv"
  "wrk:wrk"
  "haproxy:haproxy"
)

missing=()
for entry in "${PACKAGES[@]}"; do
  pkg=${entry%%:*}
  probe=${entry#*:}
  if ! command -v "$probe" >/dev/null 2>&1 && ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
