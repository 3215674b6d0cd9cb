#!/usr/bin/env bash
# Starts dockerd in the background unless a daemon already answers.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

if docker_ready; then
  docker version --format 'docker daemon {{.Server.Version}} already running'
  say_cached
  exit 0
fi

log="$CACHE_BASE/dockerd.log"
echo "starting dockerd, log: $log"
# setsid: the daemon outlives this script and the terminal that ran it.
setsid dockerd >>"$log" 2>&1 </dev/null &
echo "dockerd pid $!"

for _ in $(seq 1 60); do
  if docker_ready; then
    docker info --format 'storage {{.Driver}}, cgroup {{.CgroupVersion}}'
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log" >&2
tail -n 20 "$log" >&2
exit 1
