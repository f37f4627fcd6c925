#!/usr/bin/env bash
# Builds the local stand-in for the official node:24-bookworm-slim image, for
# machines that cannot pull from a registry: a Debian bookworm root filesystem
# (mmdebstrap, minbase + ca-certificates), the Node 24 binary of the npm `node`
# package this repository pins, and npm, imported with `podman import`.
# Prints the image reference. Does nothing when the image exists already; the
# root-filesystem tarball is kept in the cache so a wiped podman store re-imports
# it without downloading Debian again.
set -euo pipefail
cd "$(dirname "$0")/../.."
podman=tools/container/podman.sh

node_bin="$(realpath node_modules/.bin/node)"
node_version="$("$node_bin" -v)"; node_version="${node_version#v}"
npm_version=11.19.1
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tag="localhost/blink-accounts-base:node-${node_version}-${suite}"
cache="${BLINK_ACCOUNTS_CACHE:-$HOME/.cache/blink-accounts}/images"
tarball="$cache/base-node-${node_version}-npm-${npm_version}-${suite}.tar"

if $podman image exists "$tag"; then echo "$tag"; exit 0; fi
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  command -v mmdebstrap >/dev/null || { echo "build-base-image: mmdebstrap is missing (tools/setup.sh --container installs it)" >&2; exit 1; }
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  echo "build-base-image: Debian $suite + Node $node_version + npm $npm_version (mmdebstrap, about a minute)" >&2
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null && mkdir npm && tar -xzf "npm-$npm_version.tgz" -C npm --strip-components=1)
  cp "$node_bin" "$work/node"
  mmdebstrap --quiet --format=tar --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="copy-in $work/node /usr/local/bin" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a $work/npm \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    "$suite" "$tarball.partial" "$mirror"
  mv "$tarball.partial" "$tarball"
fi
$podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$node_version" \
  --change 'CMD ["node"]' \
  "$tarball" "$tag" >/dev/null
echo "$tag"
