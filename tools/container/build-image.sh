#!/usr/bin/env bash
# Builds the operator image from deploy/Dockerfile with podman, on the local base
# image of build-base-image.sh (no registry needed), and prints its reference.
#   tools/container/build-image.sh [--target tsx] [--tag REF]
# The tag defaults to a hash of every input of the build (Dockerfile, build
# context after .dockerignore, base image), so an unchanged tree reuses the image
# and a changed one builds anew (podman's layer cache keeps the npm ci layers).
set -euo pipefail
cd "$(dirname "$0")/../.."
podman=tools/container/podman.sh
target=""
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

base="$(tools/container/build-base-image.sh)"
if [ -z "$tag" ]; then
  # The same files .dockerignore lets into the context, plus the Dockerfile and the base.
  inputs="$( { git ls-files -co --exclude-standard -- package.json package-lock.json tsconfig.json deploy/tsconfig.build.json deploy/Dockerfile .dockerignore bin operator \
      | grep -v -e '\.test\.ts$' -e '__snapshots__' | sort | xargs sha256sum; echo "$base ${target:-operator}"; } | sha256sum | cut -c1-16)"
  tag="localhost/blink-accounts-operator:${target:-dev}-$inputs"
fi
if $podman image exists "$tag"; then echo "$tag"; exit 0; fi
echo "build-image: building $tag (deploy/Dockerfile${target:+, target $target})" >&2
# --network=host: npm ci inside the build reaches the registry the way the host does,
# trusting the CA file the host's npm trusts (a TLS-inspecting proxy's, on CI).
ca_args=()
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -z "$cafile" ] || [ "$cafile" = null ] || [ ! -f "$cafile" ]; then cafile="${NODE_EXTRA_CA_CERTS:-}"; fi
if [ -n "$cafile" ] && [ -f "$cafile" ]; then
  ca_args=(--volume "$cafile:/run/build-ca.crt:ro" --build-arg npm_config_cafile=/run/build-ca.crt)
fi
$podman build --quiet --network=host --layers "${ca_args[@]}" \
  --build-arg "BASE_IMAGE=$base" ${target:+--target "$target"} \
  -f deploy/Dockerfile -t "$tag" . >&2
echo "$tag"
