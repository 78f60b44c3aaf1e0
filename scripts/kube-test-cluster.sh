#!/usr/bin/env bash
# A Kubernetes API server on loopback for the Kubernetes target's tests: kube-apiserver built from the
# k8s.io/kubernetes Go module (cached under ~/.cache/chaoscope, keyed by version), storage from Debian's etcd-server,
# token authentication and RBAC, Chaos Mesh's CRDs from ../shared/conformance/chaos-mesh/crd installed.
#
#   scripts/kube-test-cluster.sh build   build (or find) kube-apiserver; prints its path
#   scripts/kube-test-cluster.sh up      start etcd and the API server; the last line printed is the kubeconfig's path
#                                        (a step failing stops both again and prints the end of their logs)
#   scripts/kube-test-cluster.sh down    stop them and remove their state
#
# State lives in $KUBE_TEST_DIR (default /tmp/chaoscope-kube-test); CHAOS_MESH_CRDS=DIR installs the CRDs of DIR,
# CHAOS_MESH_CRDS=none none (a cluster without Chaos Mesh). The kubeconfig has two users: `admin`
# (system:masters) and `viewer` (no role bound: RBAC refuses it), with contexts of the same names.
# No kubelet, controller-manager or scheduler runs: objects are stored and validated, nothing is scheduled.
set -euo pipefail

KUBE_VERSION=1.34.2
STAGING_VERSION=0.34.2
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/chaoscope"
BUILD_DIR="$CACHE/kube-apiserver-v$KUBE_VERSION"
APISERVER="$BUILD_DIR/kube-apiserver"
STATE="${KUBE_TEST_DIR:-/tmp/chaoscope-kube-test}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CRDS="${CHAOS_MESH_CRDS:-$HERE/../../shared/conformance/chaos-mesh/crd}"

# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging/src/...: a module
# that requires it must pin each of them to the published v0.x.y of the same release, or the build cannot resolve them.
STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider cluster-bootstrap
  code-generator component-base component-helpers controller-manager cri-api cri-client csi-translation-lib
  dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
  kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver sample-cli-plugin
  sample-controller)

build() {
  if [ -x "$APISERVER" ] && "$APISERVER" --version 2>/dev/null | grep -q "v$KUBE_VERSION"; then
    echo "$APISERVER"
    return
  fi
  echo "kube-test-cluster: building kube-apiserver v$KUBE_VERSION from the Go module proxy (about 7 minutes on 2 cores)" >&2
  local src="$BUILD_DIR/src"
  rm -rf "$src"
  mkdir -p "$src"
  {
    echo "module chaoscope.dev/kube-test-apiserver"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    echo "replace ("
    for m in "${STAGING[@]}"; do echo "	k8s.io/$m => k8s.io/$m v$STAGING_VERSION"; done
    echo ")"
  } >"$src/go.mod"
  printf 'package main\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n\nfunc main() {}\n' >"$src/deps.go"
  (cd "$src" && GOFLAGS=-mod=mod go mod tidy >&2 && CGO_ENABLED=0 go build -trimpath -o "$APISERVER.tmp" \
    -ldflags "-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION" \
    k8s.io/kubernetes/cmd/kube-apiserver >&2)
  mv "$APISERVER.tmp" "$APISERVER"
  echo "$APISERVER"
}

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close() })"
}

# wait_for WHAT SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_for() {
  local what=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "kube-test-cluster: $what did not come up" >&2
      return 1
    fi
    sleep 0.2
  done
}

api() { # api METHOD PATH [CONTENT-TYPE FILE]: a call as admin; prints the body, fails on an HTTP error
  local args=(-sS --fail-with-body --cacert "$STATE/certs/apiserver.crt" -H "Authorization: Bearer $(cat "$STATE/admin.token")" -X "$1")
  [ $# -ge 4 ] && args+=(-H "Content-Type: $3" --data-binary "@$4")
  curl "${args[@]}" "https://127.0.0.1:$(cat "$STATE/apiserver.port")$2"
}

up() {
  local apiserver
  apiserver=$(build)
  command -v etcd >/dev/null || { echo "kube-test-cluster: etcd is missing (apt-get install etcd-server)" >&2; exit 1; }
  [ -d "$STATE" ] && down >/dev/null
  # a step failing from here on (set -e) stops what was started: no etcd or kube-apiserver is left running
  trap failed_up EXIT
  mkdir -p "$STATE/certs"
  chmod 700 "$STATE"
  local etcd_port peer_port api_port
  etcd_port=$(free_port)
  peer_port=$(free_port)
  api_port=$(free_port)
  echo "$api_port" >"$STATE/apiserver.port"
  setsid etcd --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "default=http://127.0.0.1:$peer_port" >"$STATE/etcd.log" 2>&1 &
  echo $! >"$STATE/etcd.pid"
  wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

  openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null
  openssl rand -hex 24 >"$STATE/admin.token"
  openssl rand -hex 24 >"$STATE/viewer.token"
  printf '%s,admin,admin,"system:masters"\n%s,viewer,viewer\n' "$(cat "$STATE/admin.token")" "$(cat "$STATE/viewer.token")" >"$STATE/tokens.csv"
  setsid "$apiserver" --bind-address=127.0.0.1 --secure-port="$api_port" --cert-dir="$STATE/certs" \
    --etcd-servers="http://127.0.0.1:$etcd_port" --token-auth-file="$STATE/tokens.csv" --authorization-mode=RBAC \
    --service-account-key-file="$STATE/sa.key" --service-account-signing-key-file="$STATE/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/24 \
    >"$STATE/apiserver.log" 2>&1 &
  echo $! >"$STATE/apiserver.pid"
  wait_for "the certificate of kube-apiserver" 60 test -s "$STATE/certs/apiserver.crt"
  wait_for kube-apiserver 120 api GET /readyz

  # no controller-manager: the ServiceAccount it would make for pods in "default"
  printf '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}' >"$STATE/sa.json"
  wait_for "the default namespace" 30 api GET /api/v1/namespaces/default
  api POST /api/v1/namespaces/default/serviceaccounts application/json "$STATE/sa.json" >/dev/null
  local n=0
  if [ "$CRDS" != none ]; then # CHAOS_MESH_CRDS=none: a cluster without Chaos Mesh
    for f in "$CRDS"/*.yaml; do
      api POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions application/yaml "$f" >/dev/null
      n=$((n + 1))
    done
    wait_for "Chaos Mesh's API group" 60 api GET /apis/chaos-mesh.org/v1alpha1/podchaos
  fi
  echo "kube-test-cluster: kube-apiserver v$KUBE_VERSION on https://127.0.0.1:$api_port, etcd on 127.0.0.1:$etcd_port, $n CRDs from $CRDS" >&2

  local ca
  ca=$(base64 -w0 "$STATE/certs/apiserver.crt")
  cat >"$STATE/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $ca
users:
  - name: admin
    user: {token: $(cat "$STATE/admin.token")}
  - name: viewer
    user: {token: $(cat "$STATE/viewer.token")}
contexts:
  - name: admin
    context: {cluster: test, user: admin, namespace: default}
  - name: viewer
    context: {cluster: test, user: viewer, namespace: default}
current-context: admin
KUBECONFIG
  chmod 600 "$STATE/kubeconfig"
  trap - EXIT
  echo "$STATE/kubeconfig"
}

# up's exit trap: the ends of the logs (the state directory goes), then everything stopped and removed.
failed_up() {
  for log in "$STATE/etcd.log" "$STATE/apiserver.log"; do
    [ -s "$log" ] && { echo "--- the end of $(basename "$log"):" >&2; tail -n 20 "$log" >&2; }
  done
  down >/dev/null 2>&1
}

down() {
  local pid
  for name in apiserver etcd; do
    if [ -f "$STATE/$name.pid" ]; then
      pid=$(cat "$STATE/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$STATE"
  echo "kube-test-cluster: stopped, $STATE removed"
}

case "${1:-}" in
  build) build ;;
  up) up ;;
  down) down ;;
  *)
    echo "usage: $0 build|up|down" >&2
    exit 2
    ;;
esac
