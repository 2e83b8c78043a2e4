#!/usr/bin/env bash
# Builds (once) and caches the real binaries the tests and the quickstart run:
#   kube-apiserver, kubectl,          from k8s.io/kubernetes  (wrapper go.mod, staging replaces read from the
#   kube-controller-manager,                                   release; one `go build`, the same ldflags)
#   kube-scheduler
#   etcd                              from go.etcd.io/etcd/server/v3 (etcdmain as a dependency)
#   helm                              from helm.sh/helm/v3/cmd/helm
#   kwok (+ kwok-stages/)             from sigs.k8s.io/kwok/cmd/kwok; kwok-stages/ holds kwok's own Stage CRD and
#                                     default node/pod stages, copied from that module version (live clusters)
#   promtool                          from github.com/prometheus/prometheus/cmd/promtool (the chart's alert rules:
#                                     `promtool check rules`, `promtool test rules`)
# Prints the directory that holds them as its last line of stdout; progress goes to stderr.
#
# KUBEBUILDER_ASSETS pointing at a directory with kube-apiserver, etcd and kubectl (setup-envtest's layout)
# is used as it is when it also has the rest; otherwise only what it lacks is built (helm is taken from PATH
# when there is one; kube-controller-manager and kube-scheduler at the version of its kube-apiserver).
set -euo pipefail

K8S_VERSION="${KSIT_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${KSIT_ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${KSIT_HELM_VERSION:-v3.22.0}"
# newest kwok release that builds with Go 1.26 (GOTOOLCHAIN=local); `go list -m -versions sigs.k8s.io/kwok`
KWOK_VERSION="${KSIT_KWOK_VERSION:-v0.8.0}"
# Prometheus v3.16.0 (its Go module is tagged v0.316.0); `go list -m -versions github.com/prometheus/prometheus`
PROM_VERSION="${KSIT_PROMETHEUS_VERSION:-v0.316.0}"

cache_root="${KSIT_TESTBIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ksit/testbin}"
# RECIPE changes whenever the build flags or the set of binaries below change, so a cache never serves a
# directory built the old way. 3: + kube-controller-manager, kube-scheduler, kwok and kwok-stages/. 4: + promtool.
RECIPE=4
out="$cache_root/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}_kwok-${KWOK_VERSION}_prom-${PROM_VERSION}_r${RECIPE}"
# Recipe 4 builds every binary of recipe 3 exactly as recipe 3 did: a recipe-3 directory of the same versions
# lends them (copied), so a machine that has one builds only promtool.
previous="$cache_root/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}_kwok-${KWOK_VERSION}_r3"
work="$cache_root/src"

log() { printf '[testbin %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}"
need_go() { command -v go >/dev/null || { log "Go is needed to build the test binaries (or set KUBEBUILDER_ASSETS)"; exit 1; }; }

K8S_BINS="kube-apiserver kubectl kube-controller-manager kube-scheduler"
# what the controllers of a live cluster need beyond setup-envtest's three binaries
have_k8s() { for b in $K8S_BINS; do [ -x "$1/$b" ] || return 1; done; }
have_kwok() { [ -x "$1/kwok" ] && [ -f "$1/kwok-stages/stages-crd.yaml" ]; }
complete3() { have_k8s "$1" && [ -x "$1/etcd" ] && [ -x "$1/helm" ] && have_kwok "$1"; }
complete() { complete3 "$1" && [ -x "$1/promtool" ]; }

# Set by the KUBEBUILDER_ASSETS branch: build only these ("k8s" = controller-manager + scheduler).
ONLY=""
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  for b in kube-apiserver etcd kubectl; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] || { log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $b"; exit 1; }
  done
  if complete "$KUBEBUILDER_ASSETS"; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (nothing built)"
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  # setup-envtest ships no helm, controller-manager, scheduler or kwok: one directory with links to its
  # binaries plus the missing ones (helm from PATH when there is one; the others built)
  combined="$cache_root/envtest-$(printf '%s' "$KUBEBUILDER_ASSETS" | sha256sum | cut -c1-12)"
  mkdir -p "$combined"
  for b in kube-apiserver etcd kubectl helm kube-controller-manager kube-scheduler kwok kwok-stages promtool; do
    [ -e "$KUBEBUILDER_ASSETS/$b" ] && ln -sfn "$KUBEBUILDER_ASSETS/$b" "$combined/$b"
  done
  if [ ! -x "$combined/helm" ] && command -v helm >/dev/null; then ln -sf "$(command -v helm)" "$combined/helm"; fi
  if [ ! -x "$combined/promtool" ] && command -v promtool >/dev/null; then
    ln -sf "$(command -v promtool)" "$combined/promtool"
  fi
  if complete "$combined"; then
    log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (+ what it lacks) via $combined"
    echo "$combined"
    exit 0
  fi
  [ -x "$combined/helm" ] || ONLY="$ONLY helm"
  { [ -x "$combined/kube-controller-manager" ] && [ -x "$combined/kube-scheduler" ]; } || ONLY="$ONLY k8s"
  have_kwok "$combined" || ONLY="$ONLY kwok"
  [ -x "$combined/promtool" ] || ONLY="$ONLY promtool"
  # controller-manager and scheduler at the version of the given kube-apiserver
  v=$("$KUBEBUILDER_ASSETS/kube-apiserver" --version 2>/dev/null | sed -n 's/^Kubernetes \(v[0-9][0-9.]*\).*/\1/p')
  [ -n "$v" ] && K8S_VERSION="$v"
  out="$combined"
  log "KUBEBUILDER_ASSETS lacks:$ONLY; building them into $combined"
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

# build_k8s [binaries…]: the given cmd/ binaries of k8s.io/kubernetes (default: all four), in one go build
build_k8s() {
  local bins="${*:-$K8S_BINS}" missing="" b
  for b in $bins; do [ -x "$out/$b" ] || missing="$missing $b"; done
  [ -n "$missing" ] || return 0
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
  local targets="" gets=""
  for b in $missing; do
    targets="$targets k8s.io/kubernetes/cmd/$b"
    gets="$gets k8s.io/kubernetes/cmd/$b@$K8S_VERSION"
  done
  log "kubernetes $K8S_VERSION: building$missing (cold: ~12 min for all four on 2 busy cores)"
  # shellcheck disable=SC2086
  (cd "$dir" && go get $gets >/dev/null 2>&1 || true)
  # shellcheck disable=SC2086
  (cd "$dir" && go build -mod=mod -trimpath -ldflags "$ld" -o "$out/" $targets)
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

# kwok in its own wrapper module (its own k8s.io/* versions), plus the files a live cluster applies from the
# same module version: the Stage CRD and kwok's default stages (node: initialize + heartbeat with lease;
# pod: ready, complete, delete — the "fast" set that kwokctl installs by default)
build_kwok() {
  have_kwok "$out" && return 0
  local dir="$work/kwok-$KWOK_VERSION" mod
  mkdir -p "$dir"
  printf 'module ksit.local/testbin/kwok\n\ngo 1.26.0\n' >"$dir/go.mod"
  log "kwok $KWOK_VERSION: resolving and building"
  (cd "$dir" && go get "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >/dev/null 2>&1)
  (cd "$dir" && go build -mod=mod -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  mod=$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  rm -rf "$out/kwok-stages.tmp" && mkdir -p "$out/kwok-stages.tmp"
  cp "$mod/kustomize/crd/bases/kwok.x-k8s.io_stages.yaml" "$out/kwok-stages.tmp/stages-crd.yaml"
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    cp "$mod/kustomize/stage/$f.yaml" "$out/kwok-stages.tmp/${f##*/}.yaml"
  done
  chmod -R u+w "$out/kwok-stages.tmp"
  rm -rf "$out/kwok-stages" && mv "$out/kwok-stages.tmp" "$out/kwok-stages"
}

# promtool in its own wrapper module; the version printed by `promtool --version` is the release's. Built with
# Prometheus' own build tag remove_all_sd: the tests need `check rules` and `test rules`, not the service
# discovery of every cloud (measured cold on 2 busy cores: 5 min 6 s with the tag, 15 min 14 s without)
build_promtool() {
  [ -x "$out/promtool" ] && return 0
  local dir="$work/prometheus-$PROM_VERSION" v
  mkdir -p "$dir"
  printf 'module ksit.local/testbin/promtool\n\ngo 1.26.0\n' >"$dir/go.mod"
  log "promtool (prometheus $PROM_VERSION): resolving and building (cold: ~5 min on 2 busy cores)"
  (cd "$dir" && go get -tags remove_all_sd "github.com/prometheus/prometheus/cmd/promtool@$PROM_VERSION" >/dev/null 2>&1)
  # module v0.316.0 is Prometheus 3.16.0
  v=${PROM_VERSION#v0.}; v="$(( ${v%%.*} / 100 )).$(( ${v%%.*} % 100 )).${v#*.}"
  (cd "$dir" && go build -mod=mod -trimpath -tags remove_all_sd \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$v -X github.com/prometheus/common/version.Branch=HEAD" \
    -o "$out/promtool" github.com/prometheus/prometheus/cmd/promtool)
}

# borrow the unchanged binaries of a recipe-3 directory (see `previous` above)
seed_from_previous() {
  complete3 "$out" && return 0
  complete3 "$previous" || return 0
  log "reusing the binaries of $previous (same versions, same recipe); building what recipe 4 adds"
  local b
  for b in $K8S_BINS etcd helm kwok; do [ -x "$out/$b" ] || cp -p "$previous/$b" "$out/$b"; done
  [ -d "$out/kwok-stages" ] || cp -rp "$previous/kwok-stages" "$out/kwok-stages"
}

if [ -n "$ONLY" ]; then
  for what in $ONLY; do
    case "$what" in
      helm) build_helm ;;
      k8s) build_k8s kube-controller-manager kube-scheduler ;;
      kwok) build_kwok ;;
      promtool) build_promtool ;;
    esac
  done
  log "done in $((SECONDS - started))s"
elif complete "$out"; then
  log "cached: $out"
else
  log "building into $out"
  seed_from_previous
  build_etcd
  build_helm
  build_kwok
  build_promtool
  build_k8s
  log "done in $((SECONDS - started))s"
fi
echo "$out"
