#!/usr/bin/env bash
# Builds the pinned Helm from the Go module proxy (helm.sh/helm/v3) once and
# caches it like the control plane; prints the binary's path. A fresh build takes
# a few minutes on 2 cores (Go's module and build caches make a rebuild quick).
set -euo pipefail
version=v3.22.0
cache="${BLINK_ACCOUNTS_CACHE:-$HOME/.cache/blink-accounts}/helm/$version"
bin="$cache/bin/helm"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH="$PATH:/usr/local/go/bin"; fi
command -v go >/dev/null || { echo "helm/build.sh: Go is needed to build Helm $version" >&2; exit 1; }
staging="$cache/.staging-$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"
echo "helm/build.sh: building Helm $version from helm.sh/helm/v3 (log: $cache/build.log)" >&2
started=$(date +%s)
# `go install pkg@version` works: Helm's go.mod has no replace directives.
if ! CGO_ENABLED=0 GOBIN="$staging" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
    "helm.sh/helm/v3/cmd/helm@$version" >"$cache/build.log" 2>&1; then
  tail -20 "$cache/build.log" >&2
  exit 1
fi
mkdir -p "$cache/bin"
mv "$staging/helm" "$bin"
echo "helm/build.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$bin"
