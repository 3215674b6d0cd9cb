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

data_volume="workers-dagger-registry-data"
node_id_stamp="$SHARED_STAMP_DIR/registry-node-id"

key="$(stamp_key "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$(cat "$ENGINE_SCRIPTS_DIR/files/registry.yml")")"
if ! stamp_ok "$SHARED_STAMP_DIR/registry-image" "$key" || ! docker image inspect "$REGISTRY_IMAGE" >/dev/null 2>&1; then
  rootfs="$ROOTFS_DIR/registry"
  build_rootfs "$rootfs" "docker-registry"
  # Debian's config asks for htpasswd auth; this one has none.
  cp "$ENGINE_SCRIPTS_DIR/files/registry.yml" "$rootfs/etc/docker/registry/config.yml"
  # The container goes first, so the image it runs can be replaced and removed.
  docker rm -f "$REGISTRY_CONTAINER" >/dev/null 2>&1 || true
  import_rootfs "$rootfs" "$REGISTRY_IMAGE" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "USER docker-registry" \
    --change 'CMD ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]'
  rm -rf "$rootfs"
  stamp_write "$SHARED_STAMP_DIR/registry-image" "$key"
fi

# The registry holds only the node image. A new node image starts it from empty data, so
# old layers do not pile up.
node_id="$(docker image inspect -f '{{.Id}}' "$NODE_IMAGE")"
stale=false
if [[ "$node_id" != "$(cat "$node_id_stamp" 2>/dev/null || true)" ]]; then
  stale=true
  docker rm -f "$REGISTRY_CONTAINER" >/dev/null 2>&1 || true
  docker volume rm "$data_volume" >/dev/null 2>&1 || true
  rm -f "$node_id_stamp"
fi

docker network inspect "$ENGINE_NETWORK" >/dev/null 2>&1 || docker network create "$ENGINE_NETWORK"
if [[ "$(docker inspect -f '{{.State.Running}}' "$REGISTRY_CONTAINER" 2>/dev/null || true)" != true ]]; then
  docker rm -f "$REGISTRY_CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$REGISTRY_CONTAINER" --restart unless-stopped \
    --network "$ENGINE_NETWORK" -p "127.0.0.1:$REGISTRY_PORT:5000" \
    -v "$data_volume:/var/lib/docker-registry" "$REGISTRY_IMAGE"
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

# The mirror serves docker.io names, so the node image goes in as library/node.
tag="${NODE_IMAGE#node:}"
if [[ "$stale" == false ]] &&
  curl -fsS -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$registry/v2/library/node/manifests/$tag"; then
  say_cached
  exit 0
fi
mirror_ref="$registry/library/$NODE_IMAGE"
docker tag "$NODE_IMAGE" "$mirror_ref"
docker push "$mirror_ref"
docker rmi "$mirror_ref" >/dev/null
printf '%s\n' "$node_id" >"$node_id_stamp"
