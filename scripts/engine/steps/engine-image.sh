#!/usr/bin/env bash
# The engine image, assembled without a registry: the engine root file system plus the built
# binaries where the engine looks for them, its config, the host's local CAs, and an
# entrypoint that runs dagger-engine under tini; then `docker import`.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=../rootfs.sh
source "$ENGINE_SCRIPTS_DIR/rootfs.sh"

rootfs="$ROOTFS_DIR/engine"
[[ -x "$rootfs/usr/sbin/runc" && -x "$BIN_DIR/dagger-engine" ]] || {
  echo "engine root file system or binaries missing; run the earlier steps" >&2
  exit 1
}
files="$ENGINE_SCRIPTS_DIR/files"
key="$(stamp_key "$(cat "$SHARED_STAMP_DIR/engine-rootfs" "$STAMP_DIR/dagger-binaries")" \
  "$(cat "$files/entrypoint.sh" "$files/engine.toml" "$files/engine.json" "$HOST_CA_BUNDLE" | sha256sum)")"
if stamp_ok "$STAMP_DIR/engine-image" "$key" && docker image inspect "$ENGINE_IMAGE" >/dev/null 2>&1; then
  say_cached
  exit 0
fi

stage="$CACHE_DIR/engine-image.partial"
remove_tree "$stage"
cp -a "$rootfs" "$stage"

# Dagger's binaries where the engine and its CLI driver expect them.
install -m 0755 "$BIN_DIR/dagger-engine" "$BIN_DIR/dagger" "$BIN_DIR/dagger-init" "$stage/usr/local/bin/"
install -m 0755 "$BIN_DIR/dial-stdio" "$stage/usr/bin/dial-stdio"
ln -sf dial-stdio "$stage/usr/bin/buildctl" # the CLI connects with `buildctl dial-stdio`
mkdir -p "$stage/opt/cni/bin"
install -m 0755 "$BIN_DIR/dnsname" "$BIN_DIR"/cni/* "$stage/opt/cni/bin/"

# Debian's runc and tini, at the paths the engine hard-codes.
ln -sf /usr/sbin/runc "$stage/usr/local/bin/runc"
ln -sf /usr/bin/tini "$stage/usr/local/bin/tini"

# The engine picks the iptables backend at start by pointing /usr/bin/iptables* at
# /usr/bin/xtables-{legacy,nft}-multi. Debian keeps those in /usr/sbin, ahead of /usr/bin on
# PATH: link them into /usr/bin, and send /usr/sbin's names to whatever the engine chose.
for multi in xtables-legacy-multi xtables-nft-multi; do
  ln -sf "/usr/sbin/$multi" "$stage/usr/bin/$multi"
done
for name in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf "/usr/bin/$name" "$stage/usr/sbin/$name"
done

mkdir -p "$stage/etc/dagger" "$stage/var/lib/dagger"
install -m 0644 "$files/engine.toml" "$files/engine.json" "$stage/etc/dagger/"
install -m 0755 "$files/entrypoint.sh" "$stage/usr/local/bin/dagger-entrypoint.sh"

# The engine runs update-ca-certificates on these at start and installs them into every
# container it runs, so pulls and the containers' own TLS trust the host's local CAs.
write_host_local_cas "$stage/etc/ssl/certs/ca-certificates.crt" "$stage/usr/local/share/ca-certificates"

import_rootfs "$stage" "$ENGINE_IMAGE" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix:///run/dagger/engine.sock" \
  --change "LABEL org.opencontainers.image.version=$ENGINE_VERSION" \
  --change "VOLUME /var/lib/dagger" \
  --change 'ENTRYPOINT ["/usr/local/bin/dagger-entrypoint.sh"]'
remove_tree "$stage"
stamp_write "$STAMP_DIR/engine-image" "$key"
