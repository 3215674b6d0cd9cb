#!/usr/bin/env bash
# A local image registry (Debian's docker-registry) that the engine uses as its docker.io
# mirror, holding the node image. It runs as a container on the docker network the engine
# joins, so the engine reaches it by IP on that network; its port is also published on the
# host's loopback only, for `docker push` (Docker trusts plain HTTP on 127.0.0.0/8).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=../rootfs.sh
source "$ENGINE_SCRIPTS_DIR/rootfs.sh"

key="$(stamp_key "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$(cat "$ENGINE_SCRIPTS_DIR/files/registry.yml")")"
if ! stamp_ok "$SHARED_STAMP_DIR/registry-image" "$key" || ! docker image inspect "$REGISTRY_IMAGE" >/dev/null 2>&1; then
  rootfs="$ROOTFS_DIR/registry"
  build_rootfs "$rootfs" "docker-registry"
  # Debian's config asks for htpasswd auth; this one has none.
  cp "$ENGINE_SCRIPTS_DIR/files/registry.yml" "$rootfs/etc/docker/registry/config.yml"
  import_rootfs "$rootfs" "$REGISTRY_IMAGE" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "USER docker-registry" \
    --change 'CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]'
  rm -rf "$rootfs"
  stamp_write "$SHARED_STAMP_DIR/registry-image" "$key"
  docker rm -f "$REGISTRY_CONTAINER" >/dev/null 2>&1 || true
fi

docker network inspect "$ENGINE_NETWORK" >/dev/null 2>&1 || docker network create "$ENGINE_NETWORK"

running="$(docker inspect -f '{{.State.Running}}' "$REGISTRY_CONTAINER" 2>/dev/null || true)"
if [[ "$running" != true ]]; then
  docker rm -f "$REGISTRY_CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$REGISTRY_CONTAINER" --restart unless-stopped \
    --network "$ENGINE_NETWORK" -p "127.0.0.1:$REGISTRY_PORT:5000" \
    -v workers-dagger-registry-data:/var/lib/docker-registry "$REGISTRY_IMAGE"
fi

registry="127.0.0.1:$REGISTRY_PORT"
for _ in $(seq 1 30); do
  curl -fsS "http://$registry/v2/" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://$registry/v2/" >/dev/null || {
  echo "registry did not answer on http://$registry/v2/" >&2
  docker logs --tail 20 "$REGISTRY_CONTAINER" >&2
  exit 1
}

# The mirror serves docker.io names, so the node image goes in as library/node. Pushed again
# whenever the local image differs from what the registry holds.
mirror_ref="$registry/library/$NODE_IMAGE"
local_id="$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")"
pushed_id="$(cat "$SHARED_STAMP_DIR/registry-node-id" 2>/dev/null || true)"
if [[ "$local_id" == "$pushed_id" ]] &&
  curl -fsS -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$registry/v2/library/node/manifests/${NODE_IMAGE#node:}"; then
  say_cached
  exit 0
fi
docker tag "$NODE_IMAGE" "$mirror_ref"
docker push "$mirror_ref"
docker rmi "$mirror_ref" >/dev/null
printf '%s\n' "$local_id" >"$SHARED_STAMP_DIR/registry-node-id"
