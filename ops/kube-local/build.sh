#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per version:
# kube-apiserver, kube-controller-manager, kube-scheduler (Kubernetes), etcd (its embed
# package, ./etcd), kwok (with its stages) and helm. Everything it writes (binaries, Go
# build and module caches) lives under $OBCMS_KUBE_CACHE (default ~/.cache/obcms-kube),
# never in the repository; a binary already there for the pinned version is reused.
# Prints the folder with every binary (links), which obcms_platform.devstack.kube reads.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache="${OBCMS_KUBE_CACHE:-$HOME/.cache/obcms-kube}"
go_cmd="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
mkdir -p "$cache/bin"
export GOCACHE="$cache/go-build" GOMODCACHE="$cache/go-mod" GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0

log() { echo "kube-local: $*" >&2; }

# A scratch module per binary: go.mod is written from versions.env; go.sum is checked
# against the checksum database as `go build -mod=mod` fetches.
# module NAME COMPONENT GO_VERSION: prints the module's directory.
module() {
    local dir="$cache/src/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    printf 'module obcms.local/kube-local/%s\n\ngo %s\n' "$2" "${3#go}" >"$dir/go.mod"
    echo "$dir"
}

# build NAME TOOLCHAIN MODULE_DIR LDFLAGS PACKAGE...: one `go build` of the packages into
# $cache/bin/NAME.partial/, with the toolchain the release names (GOTOOLCHAIN fetches it
# through the module proxy when the local Go is another version).
build() {
    local name="$1" toolchain="$2" module_dir="$3" ldflags="$4"
    shift 4
    log "building $name (once; Kubernetes takes ~1,100 CPU-seconds)"
    local started=$SECONDS
    rm -rf "$cache/bin/$name.partial"
    mkdir -p "$cache/bin/$name.partial"
    (cd "$module_dir" && GOTOOLCHAIN="$toolchain" "$go_cmd" build -trimpath \
        -ldflags "-s -w $ldflags" -o "$cache/bin/$name.partial/" "$@")
    log "built $name in $((SECONDS - started)) s"
}

# publish NAME: the finished build becomes the cached one.
publish() {
    mv "$cache/bin/$1.partial" "$cache/bin/$1"
}

kubernetes_name="kubernetes-$KUBERNETES_VERSION-$KUBERNETES_GO"
if [[ ! -d "$cache/bin/$kubernetes_name" ]]; then
    dir="$(module "$kubernetes_name" kubernetes "$KUBERNETES_GO")"
    kubernetes_mod="$(cd "$dir" && GOTOOLCHAIN="$KUBERNETES_GO" "$go_cmd" mod download -json \
        "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    {
        echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
        # The release's go.mod replaces each staging module k8s.io/X (required as v0.0.0)
        # by a folder of its repository; here by the published module of the same release.
        awk -v v="v0.${KUBERNETES_VERSION#v1.}" \
            '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print "replace " $1 " => " $1 " " v }' \
            "$kubernetes_mod"
    } >>"$dir/go.mod"
    minor="${KUBERNETES_VERSION#v1.}"
    minor="${minor%%.*}"
    # What hack/lib/version.sh sets: without it /version says v0.0.0 and a chart's
    # kubeVersion constraint refuses to install.
    version_flags=""
    for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        version_flags+=" -X $package.gitVersion=$KUBERNETES_VERSION"
        version_flags+=" -X $package.gitMajor=1 -X $package.gitMinor=$minor"
        version_flags+=" -X $package.gitTreeState=clean"
        version_flags+=" -X $package.buildDate=1970-01-01T00:00:00Z"
    done
    build "$kubernetes_name" "$KUBERNETES_GO" "$dir" "$version_flags" \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler
    publish "$kubernetes_name"
fi

etcd_source_hash="$(sha256sum "$here/etcd/main.go" | cut -c1-12)"
etcd_name="etcd-$ETCD_VERSION-$ETCD_GO-$etcd_source_hash"
if [[ ! -d "$cache/bin/$etcd_name" ]]; then
    dir="$(module "$etcd_name" etcd "$ETCD_GO")"
    cp "$here/etcd/main.go" "$dir/main.go"
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION" >>"$dir/go.mod"
    build "$etcd_name" "$ETCD_GO" "$dir" "" .
    publish "$etcd_name"
fi

kwok_name="kwok-$KWOK_VERSION-$KWOK_GO"
if [[ ! -d "$cache/bin/$kwok_name" ]]; then
    dir="$(module "$kwok_name" kwok "$KWOK_GO")"
    echo "require sigs.k8s.io/kwok $KWOK_VERSION" >>"$dir/go.mod"
    build "$kwok_name" "$KWOK_GO" "$dir" "" sigs.k8s.io/kwok/cmd/kwok
    # KWOK's own "fast" stages (what kwokctl uses): nodes Ready at once with a lease
    # heartbeat, pods Ready, a Job's pods Succeeded, deleted pods gone.
    stages="$GOMODCACHE/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
    mkdir -p "$cache/bin/$kwok_name.partial/kwok-stages"
    cp "$stages"/node/fast/node-initialize.yaml \
        "$stages"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        "$stages"/pod/fast/pod-{ready,complete,delete}.yaml \
        "$cache/bin/$kwok_name.partial/kwok-stages/"
    publish "$kwok_name"
fi

helm_name="helm-$HELM_VERSION-$HELM_GO"
if [[ ! -d "$cache/bin/$helm_name" ]]; then
    dir="$(module "$helm_name" helm "$HELM_GO")"
    echo "require helm.sh/helm/v4 $HELM_VERSION" >>"$dir/go.mod"
    build "$helm_name" "$HELM_GO" "$dir" \
        "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" helm.sh/helm/v4/cmd/helm
    publish "$helm_name"
fi

# One folder of links to this set of versions.
ready="$cache/bin/set-$(cat "$here/versions.env" "$here/etcd/main.go" | sha256sum | cut -c1-12)"
mkdir -p "$ready"
for binary in "$cache/bin/$kubernetes_name"/* "$cache/bin/$etcd_name/etcd" \
    "$cache/bin/$kwok_name"/* "$cache/bin/$helm_name/helm"; do
    ln -sfn "$binary" "$ready/$(basename "$binary")"
done
echo "$ready"
