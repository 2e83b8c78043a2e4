#!/usr/bin/env bash
# Builds (once) and caches the real binaries the tests and the quickstart run:
#   kube-apiserver + kubectl  from k8s.io/kubernetes  (wrapper go.mod, staging replaces read from the release)
#   etcd                      from go.etcd.io/etcd/server/v3 (etcdmain as a dependency)
#   helm                      from helm.sh/helm/v3/cmd/helm
# Prints the directory that holds the four binaries as its last line of stdout; progress goes to stderr.
#
# KUBEBUILDER_ASSETS pointing at a directory with kube-apiserver, etcd and kubectl (setup-envtest's layout)
# is used as it is: nothing is built (helm is still built unless it is there or on PATH).
set -euo pipefail

K8S_VERSION="${KSIT_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${KSIT_ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${KSIT_HELM_VERSION:-v3.22.0}"

cache_root="${KSIT_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksit/testbin}"
# RECIPE changes whenever the build flags below change, so a cache never serves a binary built the old way.
RECIPE=2
out="$cache_root/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}_r${RECIPE}"
work="$cache_root/src"

log() { printf '[testbin %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"
need_go() { command -v go >/dev/null || { log "Go is needed to build the test binaries (or set KUBEBUILDER_ASSETS)"; exit 1; }; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  for b in kube-apiserver etcd kubectl; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] || { log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $b"; exit 1; }
  done
  if [ -x "$KUBEBUILDER_ASSETS/helm" ]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (nothing built)"
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  # setup-envtest ships no helm: one directory with links to those binaries plus a helm (PATH's, or built)
  combined="$cache_root/envtest-$(printf '%s' "$KUBEBUILDER_ASSETS" | sha256sum | cut -c1-12)"
  mkdir -p "$combined"
  for b in kube-apiserver etcd kubectl; do ln -sf "$KUBEBUILDER_ASSETS/$b" "$combined/$b"; done
  if command -v helm >/dev/null; then
    ln -sf "$(command -v helm)" "$combined/helm"
  elif [ ! -x "$combined/helm" ]; then
    need_go
    log "KUBEBUILDER_ASSETS has no helm and none is on PATH: building helm $HELM_VERSION only"
    work="$cache_root/src"
    out="$combined"
    mkdir -p "$work"
    HELM_ONLY=1
  fi
  if [ -z "${HELM_ONLY:-}" ]; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (+ helm) via $combined"
    echo "$combined"
    exit 0
  fi
fi
need_go

mkdir -p "$out" "$work"
started=$SECONDS

# One build at a time per cache (parallel test files all ask for the binaries at once).
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
  log "another build holds $cache_root/.lock; waiting for it"
  flock 9
fi

build_k8s() {
  [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ] && return 0
  local dir="$work/kubernetes-$K8S_VERSION" minor staging
  mkdir -p "$dir"
  log "kubernetes $K8S_VERSION: reading the staging modules from the release's go.mod"
  (cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null)
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  # every "k8s.io/x => ./staging/src/k8s.io/x" becomes "k8s.io/x => k8s.io/x v0.<minor>.<patch>"
  staging=$(sed -n 's#^\s*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/.*#\1#p' "$gomod")
  [ -n "$staging" ] || { log "no staging replaces found in $gomod"; exit 1; }
  local sv="v0.${K8S_VERSION#v1.}"
  {
    echo "module ksit.local/testbin/kubernetes"
    echo
    sed -n 's/^go \(.*\)/go \1/p' "$gomod" | head -n1
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m $sv"; done
    echo ")"
  } >"$dir/go.mod"
  log "kubernetes $K8S_VERSION: $(echo "$staging" | wc -l) staging replaces -> $sv; resolving modules"
  (cd "$dir" && go mod download >/dev/null 2>&1 || true)
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local pkgs="k8s.io/client-go/pkg/version k8s.io/component-base/version"
  local ld="-s -w"
  for p in $pkgs; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "kubernetes $K8S_VERSION: building kube-apiserver and kubectl (cold: ~5 min on 2 cores)"
  (cd "$dir" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION" >/dev/null 2>&1 || true)
  (cd "$dir" && go build -mod=mod -trimpath -ldflags "$ld" -o "$out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  [ -x "$out/etcd" ] && return 0
  local dir="$work/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  cat >"$dir/main.go" <<'GO'
// Wrapper: the etcd server binary, built from go.etcd.io/etcd/server/v3 as a dependency.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  printf 'module ksit.local/testbin/etcd\n\ngo 1.26.0\n' >"$dir/go.mod"
  log "etcd $ETCD_VERSION: resolving and building"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1 && go mod tidy >/dev/null 2>&1)
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" .)
}

build_helm() {
  [ -x "$out/helm" ] && return 0
  local dir="$work/helm-$HELM_VERSION"
  mkdir -p "$dir"
  printf 'module ksit.local/testbin/helm\n\ngo 1.26.0\n' >"$dir/go.mod"
  log "helm $HELM_VERSION: resolving and building"
  (cd "$dir" && go get "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >/dev/null 2>&1)
  # as helm's Makefile does: the default Kubernetes version (helm template, lint) comes from client-go's
  local cg major minor ld
  cg=$(cd "$dir" && go list -m -f '{{.Version}}' k8s.io/client-go)
  cg=${cg#v}
  major=$(( ${cg%%.*} + 1 ))
  minor=$(echo "$cg" | cut -d. -f2)
  ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ld="$ld -X $p.k8sVersionMajor=$major -X $p.k8sVersionMinor=$minor"
  done
  (cd "$dir" && go build -mod=mod -trimpath -ldflags "$ld" -o "$out/helm" helm.sh/helm/v3/cmd/helm)
}

if [ -n "${HELM_ONLY:-}" ]; then
  build_helm
  log "done in $((SECONDS - started))s"
elif [ -x "$out/kube-apiserver" ] && [ -x "$out/kubectl" ] && [ -x "$out/etcd" ] && [ -x "$out/helm" ]; then
  log "cached: $out"
else
  log "building into $out"
  build_etcd
  build_helm
  build_k8s
  log "done in $((SECONDS - started))s"
fi
echo "$out"
