#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need on a fresh machine, and does
# nothing when it is all there:
#   - npm packages (npm ci) when node_modules is missing or older than the lock file;
#   - with --browser: Debian's chromium for the acceptance-page tests (apt-get, as root);
#   - the embedded control plane's binaries (built from Go modules once, then cached),
#     unless KUBECONFIG is set for npm start (--control-plane-unless-kubeconfig);
#   - with --opentofu: the OpenTofu of the infrastructure-as-code tests (tools/opentofu/,
#     built from Go modules once, then cached; test/iac/opentofu.ts);
#   - with --cdktf-cli: the cdktf CLI those tests run (tools/cdktf-cli/, installed with
#     npm ci into the cache once; test/iac/cdktf-cli.ts);
#   - with --deploy: what the image, Helm, Argo CD and node tests need: Debian's
#     podman, runc, mmdebstrap, lua5.1 and CNI plugins (apt-get, as root), Helm,
#     the kubelet, kube-scheduler and containerd built from Go modules
#     (tools/helm/build.sh, tools/node/build.sh) and the operator image
#     (tools/container/build-image.sh), all cached.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=false
opentofu=false
cdktf_cli=false
deploy=false
control_plane=always
for arg in "$@"; do
  case "$arg" in
    --browser) browser=true ;;
    --opentofu) opentofu=true ;;
    --cdktf-cli) cdktf_cli=true ;;
    --deploy) deploy=true ;;
    --control-plane-unless-kubeconfig) control_plane=unless-kubeconfig ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund
fi

# Installs the Debian packages named after $1 (what they are for), as root; otherwise says what to run.
apt_install() {
  local purpose="$1"
  shift
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's $* for $purpose" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
  else
    echo "setup: $purpose need $*: run 'sudo apt-get install $*' (Debian/Ubuntu)" >&2
    exit 1
  fi
}

# Debian packages the tests need: chromium (acceptance page) and zsh (the CLI's zsh completion script).
if $browser; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v zsh >/dev/null 2>&1 || missing+=(zsh)
  apt_install "the tests" "${missing[@]}"
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi

if [ "$control_plane" = always ] || [ -z "${KUBECONFIG:-}" ]; then
  # The Node 24 of the `node` package, whatever Node the system has.
  node_modules/.bin/node bin/blink-accounts.js dev-cluster build
fi

if $opentofu; then
  node_modules/.bin/node --import tsx test/iac/opentofu.ts >/dev/null
fi

if $cdktf_cli; then
  node_modules/.bin/node --import tsx test/iac/cdktf-cli.ts >/dev/null
fi

if $deploy; then
  missing=()
  for tool in podman:podman runc:runc mmdebstrap:mmdebstrap lua5.1:lua5.1; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  apt_install "the image, Helm and Argo CD tests" "${missing[@]}"
  tools/helm/build.sh >/dev/null
  tools/node/build.sh >/dev/null
  tools/container/build-image.sh >/dev/null
fi
