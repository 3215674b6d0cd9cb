#!/usr/bin/env bash
# pnpm run engine:down [--purge] — stops and removes the engine and registry containers that
# engine:up started. Images, volumes and the cache stay, so the next engine:up takes seconds.
# --purge also removes the images, the engine's state volume, the registry's data, the docker
# network and the cache dir but dockerd's log (the next engine:up rebuilds everything). dockerd is left
# running: other work may use it.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=rootfs.sh
source "$ENGINE_SCRIPTS_DIR/rootfs.sh"

purge=false
case "${1:-}" in
  "") ;;
  --purge) purge=true ;;
  *) echo "engine:down: unknown option '$1'; the only option is --purge" >&2; exit 2 ;;
esac

exec 9>"$CACHE_BASE/lock"
flock -n 9 || { echo "engine:down: another engine:up or engine:down is running (lock $CACHE_BASE/lock)" >&2; exit 1; }

if docker_ready; then
  for c in "$ENGINE_CONTAINER" "$REGISTRY_CONTAINER"; do
    if docker container inspect "$c" >/dev/null 2>&1; then
      docker rm -f "$c" >/dev/null
      echo "engine:down: removed container $c"
    fi
  done
  if [[ "$purge" == true ]]; then
    docker image rm "$ENGINE_IMAGE" "$REGISTRY_IMAGE" "$NODE_IMAGE" >/dev/null 2>&1 || true
    docker volume rm "$ENGINE_VOLUME" workers-dagger-registry-data >/dev/null 2>&1 || true
    docker network rm "$ENGINE_NETWORK" >/dev/null 2>&1 || true
    echo "engine:down: removed images, volumes and network"
  fi
else
  echo "engine:down: no docker daemon answers; nothing to stop"
fi

# No engine behind it any more: clients reading the env file should not try.
rm -f "$ENV_FILE"

if [[ "$purge" == true ]]; then
  exec 9>&-
  [[ "$(basename "$CACHE_BASE")" == workers-dagger-engine ]] || { echo "engine:down: refusing to remove $CACHE_BASE" >&2; exit 1; }
  # The Go module cache is read-only on disk.
  chmod -R u+w "$CACHE_BASE/go" 2>/dev/null || true
  # dockerd.log stays: a running dockerd (perhaps started by engine:up) still writes to it.
  for entry in "$CACHE_BASE"/*; do
    [[ "$(basename "$entry")" == dockerd.log ]] || remove_tree "$entry"
  done
  echo "engine:down: removed $CACHE_BASE (all but dockerd.log)"
fi
