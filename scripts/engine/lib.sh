# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings here are read by the scripts that source this file
# Shared settings and helpers for scripts/engine/*.sh. Sourced, never run.
#
# Everything built lives outside the repository, under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/workers-dagger-engine/
# what no Dagger version changes at the top (Go module and build caches, Debian .debs, root
# file systems, npm tarballs, dockerd's log), what one version builds under <version>/
# (binaries, logs, engine config, the env file).

ENGINE_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$ENGINE_SCRIPTS_DIR/../.." && pwd)"

# The Dagger version comes from dagger.json; nothing else pins it.
read_engine_version() {
  local v
  v="$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).engineVersion ?? ""))' "$REPO_ROOT/dagger.json")" ||
    return 1
  [[ "$v" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
    echo "dagger.json: engineVersion '$v' is not a release version like v0.21.9" >&2
    return 1
  }
  printf '%s\n' "$v"
}

if [[ -z "${ENGINE_VERSION:-}" ]]; then
  ENGINE_VERSION="$(read_engine_version)" || exit 1
fi
export ENGINE_VERSION
CACHE_BASE="${XDG_CACHE_HOME:-$HOME/.cache}/workers-dagger-engine"
CACHE_DIR="$CACHE_BASE/$ENGINE_VERSION"
LOG_DIR="$CACHE_DIR/logs"
BIN_DIR="$CACHE_DIR/bin"
STAMP_DIR="$CACHE_DIR/stamps"
SHARED_STAMP_DIR="$CACHE_BASE/stamps"
ROOTFS_DIR="$CACHE_BASE/rootfs"
ENV_FILE="$CACHE_DIR/engine.env"

# Names of what runs in Docker. The engine is reached as docker-container://$ENGINE_CONTAINER.
ENGINE_CONTAINER="workers-dagger-engine"
ENGINE_VOLUME="workers-dagger-engine-state"
ENGINE_IMAGE="workers-dagger-engine:$ENGINE_VERSION"
ENGINE_NETWORK="workers-dagger"
REGISTRY_CONTAINER="workers-dagger-registry"
REGISTRY_IMAGE="workers-dagger-registry:trixie"
REGISTRY_PORT="${ENGINE_REGISTRY_PORT:-5000}"

# The image the module's steps run in, and what it is built from (all from registries).
NODE_VERSION="24.21.0"
NODE_IMAGE="node:$NODE_VERSION-trixie-slim"
NPM_VERSION="11.21.2"
COREPACK_VERSION="0.36.0"

# Helper binaries the engine image needs that are not part of Dagger's own module.
# CNI plugins: the version Dagger's engine image uses (toolchains/engine-dev consts).
CNI_PLUGINS_VERSION="v1.9.0"

DEBIAN_SUITE="trixie"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"

export DO_NOT_TRACK=1 DAGGER_NO_UPDATE_CHECK=1
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

mkdir -p "$LOG_DIR" "$STAMP_DIR" "$SHARED_STAMP_DIR"

# A step is up to date when its stamp holds the same key as now. The key covers the step's
# own script, this file, rootfs.sh and whatever the step passes in, so editing any of them
# rebuilds.
stamp_key() {
  { cat "$ENGINE_SCRIPTS_DIR/lib.sh" "$ENGINE_SCRIPTS_DIR/rootfs.sh" "$0"; printf '%s\n' "$@"; } |
    sha256sum | cut -c1-16
}
stamp_ok() { # stamp-file key
  [[ -f "$1" && "$(cat "$1")" == "$2" ]]
}
stamp_write() { # stamp-file key
  printf '%s\n' "$2" >"$1"
}

# Steps print "cached" as their last line when they had nothing to do; up.sh reports it.
say_cached() { echo "cached"; }

docker_ready() { docker info >/dev/null 2>&1; }
