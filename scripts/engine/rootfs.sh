# shellcheck shell=bash
# Debian root file systems from debootstrap, and turning one into a Docker image without a
# registry. Sourced by the steps that build images.

# Unmounts anything a failed debootstrap left mounted under $1 (it mounts /proc and /sys in
# the target), so removing the directory can never reach into the host's /proc.
unmount_under() {
  local dir="$1" target
  while read -r target; do
    umount -l "$target"
  done < <(findmnt -rn -o TARGET | grep -F "$dir/" | sort -r || true)
  if findmnt -rn -o TARGET | grep -qF "$dir/"; then
    echo "still mounted under $dir; not removing it" >&2
    return 1
  fi
}

remove_tree() {
  [[ -e "$1" ]] || return 0
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}

# build_rootfs DEST PACKAGES: a minbase Debian $DEBIAN_SUITE in DEST with PACKAGES
# (comma-separated) installed, apt pointed at the main, updates and security archives, and
# the package lists and docs removed as Debian's slim images do. Built aside, then moved in,
# so DEST is either complete or absent.
build_rootfs() {
  local dest="$1" include="$2" tmp="$1.partial"
  remove_tree "$tmp"
  remove_tree "$dest"
  mkdir -p "$CACHE_BASE/debs" "$(dirname "$dest")"
  debootstrap --variant=minbase ${include:+--include="$include"} \
    --cache-dir="$CACHE_BASE/debs" "$DEBIAN_SUITE" "$tmp" "$DEBIAN_MIRROR"
  unmount_under "$tmp"

  rm -f "$tmp/etc/apt/sources.list"
  cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_MIRROR%/debian}/debian-security
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # Later installs inside containers skip docs too, like Debian's slim images.
  cat >"$tmp/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
SLIM
  find "$tmp/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$tmp"/usr/share/{man,info,locale}/* "$tmp"/var/lib/apt/lists/* \
    "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/log/*.log
  # Docker provides these per container.
  rm -f "$tmp/etc/resolv.conf" "$tmp/etc/hostname"
  mv "$tmp" "$dest"
}

# import_rootfs DIR IMAGE [--change ...]: the tree as a one-layer image, no registry involved.
import_rootfs() {
  local dir="$1" image="$2" previous
  shift 2
  previous="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
  tar --numeric-owner -C "$dir" -c . | docker import "$@" - "$image"
  # The image this one replaces, unless a container still uses it.
  if [[ -n "$previous" && "$previous" != "$(docker image inspect -f '{{.Id}}' "$image")" ]]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
}

# The host's local CAs (here, the one that re-signs TLS): certificates in its bundle that
# neither the image's bundle ($1) nor the host's own Debian set (/usr/share/ca-certificates)
# has. Written one per file into $2, for update-ca-certificates in the image. Certificates a
# newer Debian dropped (distrusted CAs) stay out, since the host's Debian set has them.
write_host_local_cas() {
  local image_bundle="$1" out_dir="$2"
  mkdir -p "$out_dir"
  rm -f "$out_dir"/host-ca-*.crt
  find /usr/share/ca-certificates -name '*.crt' -exec cat {} + 2>/dev/null |
    cat "$image_bundle" - |
    awk -v out="$out_dir" '
      FNR == NR {
        if ($0 ~ /BEGIN CERTIFICATE/) cert = ""
        cert = cert $0 "\n"
        if ($0 ~ /END CERTIFICATE/) known[cert] = 1
        next
      }
      /BEGIN CERTIFICATE/ { cert = "" }
      { cert = cert $0 "\n" }
      /END CERTIFICATE/ && !(cert in known) {
        n++; f = sprintf("%s/host-ca-%d.crt", out, n); printf "%s", cert > f; close(f)
      }
      END { print n + 0 " local CA certificate(s) from the host" }
    ' - "$HOST_CA_BUNDLE"
}
