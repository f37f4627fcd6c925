#!/usr/bin/env bash
# Builds the node components of the single-node test cluster once and caches them
# like the control plane; prints the bin folder:
#   kubelet, kube-scheduler  k8s.io/kubernetes v1.36.3 (tools/node/kubernetes, same release as the control plane)
#   containerd, containerd-shim-runc-v2, ctr  github.com/containerd/containerd/v2 v2.4.2
#   pause  tools/node/pause (the sandbox image's only binary)
# runc comes from Debian. A cold build takes many minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
k8s=v1.36.3
containerd=v2.4.2
cache="${BLINK_ACCOUNTS_CACHE:-$HOME/.cache/blink-accounts}/node/kubernetes-$k8s-containerd-$containerd"
bin="$cache/bin"
all=(kubelet kube-scheduler containerd containerd-shim-runc-v2 ctr pause)
complete=true
for b in "${all[@]}"; do [ -x "$bin/$b" ] || complete=false; done
if $complete; then echo "$bin"; exit 0; fi
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
staging="$cache/.staging-$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"
log="$cache/build.log"
echo "node/build.sh: building kubelet, kube-scheduler ($k8s), containerd ($containerd) and pause (log: $log)" >&2
started=$(date +%s)
{
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"
  (cd "$here/kubernetes" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$staging/kubelet" k8s.io/kubernetes/cmd/kubelet)
  (cd "$here/kubernetes" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$staging/kube-scheduler" k8s.io/kubernetes/cmd/kube-scheduler)
  # No replace directives in containerd's go.mod: `go install pkg@version` works.
  CGO_ENABLED=0 GOBIN="$staging" go install -trimpath -tags "no_btrfs no_devmapper no_zfs no_aufs" -ldflags "-s -w" \
    "github.com/containerd/containerd/v2/cmd/containerd@$containerd" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$containerd" \
    "github.com/containerd/containerd/v2/cmd/ctr@$containerd"
  (cd "$here/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/pause" .)
} >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
mkdir -p "$bin"
for b in "${all[@]}"; do mv "$staging/$b" "$bin/$b"; done
echo "node/build.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$bin"
