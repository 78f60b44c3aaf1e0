#!/usr/bin/env bash
# Installs what chaoscope's runtime, tests and benchmarks use, when it is missing: the system packages
# (`chaoscope doctor` reports the runtime's and the benchmarks'; among them Debian's prometheus, whose promtool and
# server the Prometheus tests run, and chromium, which the dashboard and report tests drive through playwright-core); from PyPI, each into a virtualenv outside the
# repository, one per version, with the dependencies pinned in scripts/*-requirements.txt: schemathesis, which the
# OpenAPI test (test/e2e/openapi.test.ts) runs, and the real Chaos Toolkit, the oracle of the `chaoscope run` tests
# (about 15 s each from PyPI with no pip cache); and vegeta, the load tool the public Chaos Toolkit demo
# experiments call, built with `go install` from the Go module proxy into ~/.cache/chaoscope/vegeta-<version>;
# and the real Toxiproxy (server and CLI, `go install`ed like vegeta), with its Go client built into our scenario
# program (test/peers/toxiproxy/go) and its Python client (toxiproxy-python) in a virtualenv: the oracles of the
# `chaoscope proxy` tests (test/e2e/toxiproxy-*.test.ts) and of bench/toxiproxy.mjs, in ~/.cache/chaoscope/toxiproxy-<version>;
# and an OpenTelemetry Collector (OTLP/HTTP receiver, file exporter; test/peers/otelcol) that test/e2e/otel.test.ts
# sends the controller's and the sidecars' spans to, in ~/.cache/chaoscope/otelcol-<hash of its sources> (about a
# minute to build with an empty Go module cache, 45 s with the modules downloaded).
# And kube-apiserver, built from the k8s.io/kubernetes Go module by scripts/kube-test-cluster.sh (about 3.5 to 7
# minutes on 2 cores, cached in ~/.cache/chaoscope/kube-apiserver-<version>), which with Debian's etcd-server is the
# real Kubernetes API server of the `--target kubernetes` tests (src/kube/*.test.ts).
# Idempotent: apt-get, pip and go run only when something is not installed.
set -euo pipefail
cd "$(dirname "$0")"

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/chaoscope"
VEGETA_VERSION=12.13.0
TOXIPROXY_VERSION=2.12.0

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
  "iproute2:ip"
  "wrk:wrk"
  "haproxy:haproxy"
  "python3:python3"
  "stress-ng:stress-ng"
  "gcc:gcc"
  "libc6-dev:/usr/include/stdio.h"
  "redis-server:redis-server"
  "redis-tools:redis-cli"
  "nginx:/usr/sbin/nginx"
  "postgresql-15:/usr/lib/postgresql/15/bin/postgres"
  "postgresql-client-15:psql"
  "golang-go:go"
  "prometheus:promtool"
  "chromium:/usr/bin/chromium"
  "etcd-server:etcd"
  "openssl:openssl"
  "curl:curl"
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
elif ! venv_current toxiproxy-python toxiproxy-python-requirements.txt && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
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
install_venv toxiproxy-python toxiproxy-python-requirements.txt python

VEGETA="$CACHE/vegeta-$VEGETA_VERSION/vegeta"
if [ -x "$VEGETA" ]; then
  echo "setup: vegeta $VEGETA_VERSION present ($VEGETA)"
else
  echo "setup: building vegeta $VEGETA_VERSION with go install into $(dirname "$VEGETA")"
  mkdir -p "$(dirname "$VEGETA")"
  GOBIN="$(dirname "$VEGETA")" GOFLAGS=-mod=mod go install "github.com/tsenart/vegeta/v12@v$VEGETA_VERSION"
fi

# Toxiproxy: the server and CLI of the release (its /version says the version, as the released binaries' do), and
# our scenario program over its Go client, cached under a hash of the program's sources (the tests compute the same
# hash to find it: sha256 of go.mod, go.sum, then the *.go files in byte order; first 12 hex digits).
TOXIPROXY_DIR="$CACHE/toxiproxy-$TOXIPROXY_VERSION"
if [ -x "$TOXIPROXY_DIR/toxiproxy-server" ] && [ -x "$TOXIPROXY_DIR/toxiproxy-cli" ]; then
  echo "setup: toxiproxy $TOXIPROXY_VERSION present ($TOXIPROXY_DIR)"
else
  echo "setup: building toxiproxy $TOXIPROXY_VERSION (server, cli) with go install into $TOXIPROXY_DIR"
  mkdir -p "$TOXIPROXY_DIR"
  rm -rf "$TOXIPROXY_DIR/.gobin"
  GOBIN="$TOXIPROXY_DIR/.gobin" GOFLAGS=-mod=mod go install \
    -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" "github.com/Shopify/toxiproxy/v2/cmd/cli@v$TOXIPROXY_VERSION"
  mv "$TOXIPROXY_DIR/.gobin/cli" "$TOXIPROXY_DIR/toxiproxy-cli"
  mv "$TOXIPROXY_DIR/.gobin/server" "$TOXIPROXY_DIR/toxiproxy-server"
  rmdir "$TOXIPROXY_DIR/.gobin"
fi
TOXIPROXY_GO=../test/peers/toxiproxy/go
scenario_hash=$(cd "$TOXIPROXY_GO" && cat go.mod go.sum $(LC_ALL=C ls -- *.go) | sha256sum | cut -c1-12)
SCENARIO="$TOXIPROXY_DIR/toxiproxy-scenario-$scenario_hash"
if [ -x "$SCENARIO" ]; then
  echo "setup: toxiproxy Go client scenario present ($SCENARIO)"
else
  echo "setup: building the toxiproxy Go client scenario into $SCENARIO"
  rm -f "$TOXIPROXY_DIR"/toxiproxy-scenario-*
  (cd "$TOXIPROXY_GO" && GOFLAGS=-mod=mod go build -o "$SCENARIO.tmp" . && mv "$SCENARIO.tmp" "$SCENARIO")
fi

# The OpenTelemetry Collector of the tracing test, cached under a hash of its sources as the toxiproxy scenario is
# (the test computes the same hash: sha256 of go.mod, go.sum, then the *.go files in byte order; first 12 hex digits).
OTELCOL_GO=../test/peers/otelcol
otelcol_hash=$(cd "$OTELCOL_GO" && cat go.mod go.sum $(LC_ALL=C ls -- *.go) | sha256sum | cut -c1-12)
OTELCOL="$CACHE/otelcol-$otelcol_hash/otelcol"
if [ -x "$OTELCOL" ]; then
  echo "setup: OpenTelemetry Collector present ($OTELCOL)"
else
  echo "setup: building the OpenTelemetry Collector (otlp receiver, file exporter) into $OTELCOL"
  rm -rf "$CACHE"/otelcol-*
  mkdir -p "$(dirname "$OTELCOL")"
  started=$(date +%s)
  (cd "$OTELCOL_GO" && GOFLAGS=-mod=mod go build -o "$OTELCOL.tmp" . && mv "$OTELCOL.tmp" "$OTELCOL")
  echo "setup: built the OpenTelemetry Collector in $(( $(date +%s) - started )) s"
fi

# kube-apiserver for the Kubernetes target's tests (scripts/kube-test-cluster.sh builds it once per version)
started=$(date +%s)
apiserver=$(bash ./kube-test-cluster.sh build)
echo "setup: kube-apiserver present ($apiserver, $(( $(date +%s) - started )) s)"
