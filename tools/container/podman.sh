#!/usr/bin/env bash
# podman with the settings of tools/container/containers.conf (runc, cgroupfs,
# no default ulimits). Every script and test of the project calls podman through this.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="$here/containers.conf"
exec podman --runtime runc "$@"
