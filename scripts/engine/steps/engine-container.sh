#!/usr/bin/env bash
# Runs the engine: privileged (it runs containers and sets up their networks; see
# container-privileges.sh for machines where --privileged fails), state on a
# docker volume, on the docker network where the registry is, with an engine.json that makes
# that registry its docker.io mirror over plain HTTP. The registry is addressed by IP: the
# engine resolves names through its own dnsmasq. Then checks that the CLI gets an answer,
# and writes the env file.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=../container-privileges.sh
source "$ENGINE_SCRIPTS_DIR/container-privileges.sh"

registry_ip="$(docker inspect -f "{{with index .NetworkSettings.Networks \"$ENGINE_NETWORK\"}}{{.IPAddress}}{{end}}" "$REGISTRY_CONTAINER")"
[[ -n "$registry_ip" ]] || { echo "registry container $REGISTRY_CONTAINER is not on network $ENGINE_NETWORK" >&2; exit 1; }
mirror="$registry_ip:5000"

config="$CACHE_DIR/engine.json"
cat >"$config" <<JSON
{
  "logLevel": "info",
  "registries": {
    "docker.io": { "mirrors": ["$mirror"] },
    "$mirror": { "http": true }
  }
}
JSON
echo "engine.json: docker.io mirror http://$mirror"

# Same image, same config, running: nothing to do.
want="$(docker image inspect -f '{{.Id}}' "$ENGINE_IMAGE") $(sha256sum <"$config" | cut -c1-16)"
have="$(docker inspect -f '{{.Image}} {{index .Config.Labels "workers-dagger.config"}} {{.State.Running}}' "$ENGINE_CONTAINER" 2>/dev/null || true)"
if [[ "$have" == "$want true" ]]; then
  fresh=false
else
  fresh=true
  mapfile -t privileges < <(privilege_flags "$ENGINE_IMAGE")
  ((${#privileges[@]} > 0)) || exit 1
  docker rm -f "$ENGINE_CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$ENGINE_CONTAINER" "${privileges[@]}" --restart unless-stopped \
    --network "$ENGINE_NETWORK" \
    -v "$ENGINE_VOLUME:/var/lib/dagger" \
    -v "$config:/etc/dagger/engine.json:ro" \
    --label "workers-dagger.config=${want#* }" \
    "$ENGINE_IMAGE"
fi

# The engine is up when its CLI gets an answer through docker-container:// (the way clients
# connect). Run outside the repository so the CLI does not load the repository's module.
export _EXPERIMENTAL_DAGGER_RUNNER_HOST="docker-container://$ENGINE_CONTAINER"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
ok=false
for _ in $(seq 1 60); do
  if (cd "$workdir" && echo '{ version }' | timeout 60 "$BIN_DIR/dagger" query --no-mod --silent); then
    ok=true
    break
  fi
  [[ "$(docker inspect -f '{{.State.Running}}' "$ENGINE_CONTAINER")" == true ]] || break
  sleep 2
done
if [[ "$ok" != true ]]; then
  docker logs --tail 30 "$ENGINE_CONTAINER" >&2 || true
  echo "engine did not answer the CLI; container logs: docker logs $ENGINE_CONTAINER" >&2
  exit 1
fi

cat >"$ENV_FILE" <<ENV
_EXPERIMENTAL_DAGGER_RUNNER_HOST=docker-container://$ENGINE_CONTAINER
_EXPERIMENTAL_DAGGER_CLI_BIN=$BIN_DIR/dagger
DO_NOT_TRACK=1
DAGGER_NO_UPDATE_CHECK=1
ENV
echo "wrote $ENV_FILE"
[[ "$fresh" == true ]] || say_cached
