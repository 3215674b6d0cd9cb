#!/bin/bash
# Entrypoint of the locally built Dagger engine image: prepares the container, then runs the
# engine under tini with the config baked into the image.
set -e

# On cgroup v2 a cgroup that hands its controllers to child cgroups may hold no processes, and
# the engine creates child cgroups for every container it runs: move this container's
# processes into a leaf, then delegate all controllers.
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  mkdir -p /sys/fs/cgroup/engine-entrypoint
  while read -r pid; do
    echo "$pid" >/sys/fs/cgroup/engine-entrypoint/cgroup.procs 2>/dev/null || :
  done </sys/fs/cgroup/cgroup.procs
  read -r -a controllers </sys/fs/cgroup/cgroup.controllers
  echo "${controllers[@]/#/+}" >/sys/fs/cgroup/cgroup.subtree_control
fi

# The engine keeps a SQLite database per client: allow many open files (raising the hard
# limit needs CAP_SYS_RESOURCE, which some sandboxes withhold; then take the hard limit).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

exec /usr/local/bin/tini -- /usr/local/bin/dagger-engine --config /etc/dagger/engine.toml "$@"
