#!/usr/bin/env bash
# The engine image's Debian root file system: what the engine runs besides its own binaries
# (runc, tini, dnsmasq, iptables/nftables for container networking, git, ssh, compressors).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
# shellcheck source=../rootfs.sh
source "$ENGINE_SCRIPTS_DIR/rootfs.sh"

packages="ca-certificates,openssl,runc,tini,dnsmasq-base,iptables,nftables,git,openssh-client,pigz,xz-utils,ripgrep,mount,procps"
key="$(stamp_key "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$packages")"
rootfs="$ROOTFS_DIR/engine"
if stamp_ok "$SHARED_STAMP_DIR/engine-rootfs" "$key" && [[ -x "$rootfs/usr/sbin/runc" ]]; then
  say_cached
  exit 0
fi

build_rootfs "$rootfs" "$packages"
du -sh "$rootfs"
stamp_write "$SHARED_STAMP_DIR/engine-rootfs" "$key"
