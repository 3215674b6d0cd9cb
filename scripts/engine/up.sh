#!/usr/bin/env bash
# pnpm run engine:up — brings up a real Dagger engine in Docker on this machine, built here
# from package registries only (Debian, the Go module proxy, the npm registry): no image is
# pulled from anywhere.
#
#   pnpm run engine:up            build what is missing (first run: many minutes), start it
#   pnpm run engine:down          stop and remove the engine (caches stay)
#   pnpm run engine:down --purge  also remove images, volume and the cache dir
#
# Then, in a shell:  set -a; . ~/.cache/workers-dagger-engine/<version>/engine.env; set +a
# or from Node:      process.loadEnvFile(<that path>)
# and connection() from @dagger.io/dagger uses the engine. The version is dagger.json's
# engineVersion. Each step logs to <cache>/<version>/logs/<step>.log and is skipped when
# what it built is still there; the first failure stops the run with one line naming the
# step and its log.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

[[ "$(id -u)" == 0 ]] || { echo "engine:up: needs root (debootstrap, chroot, apt-get, dockerd)" >&2; exit 1; }

exec 9>"$CACHE_BASE/lock"
flock -n 9 || { echo "engine:up: another engine:up or engine:down is running (lock $CACHE_BASE/lock)" >&2; exit 1; }

run_step() {
  local name="$1" log="$LOG_DIR/$1.log" start=$SECONDS rc=0
  [[ -t 1 ]] && printf 'engine:up: %s ...\r' "$name"
  # 9>&-: the lock stays with this script, not with dockerd or anything else a step leaves running.
  bash "$ENGINE_SCRIPTS_DIR/steps/$name.sh" >"$log" 2>&1 </dev/null 9>&- || rc=$?
  if ((rc != 0)); then
    local last
    last="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-300)"
    echo "engine:up: step $name failed (exit $rc) after $((SECONDS - start))s: ${last:-no output}; log: $log" >&2
    exit 1
  fi
  if [[ "$(tail -n 1 "$log")" == "cached" ]]; then
    printf 'engine:up: %-17s cached\n' "$name"
  else
    printf 'engine:up: %-17s done in %ss\n' "$name" "$((SECONDS - start))"
  fi
}

total=$SECONDS
for step in host-packages dockerd engine-rootfs node-image registry dagger-binaries engine-image engine-container; do
  run_step "$step"
done

echo "engine:up: Dagger $ENGINE_VERSION engine ready in $((SECONDS - total))s. Environment ($ENV_FILE):"
sed 's/^/  export /' "$ENV_FILE"
