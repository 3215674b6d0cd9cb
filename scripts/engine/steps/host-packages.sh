#!/usr/bin/env bash
# Installs what the other steps need from Debian, only if it is missing.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v tar >/dev/null || missing+=(tar)
command -v curl >/dev/null || missing+=(curl)
[[ -f "$HOST_CA_BUNDLE" ]] || missing+=(ca-certificates)

if ((${#missing[@]} == 0)); then
  command -v go >/dev/null || { echo "Go not found (looked in PATH and /usr/local/go/bin); Dagger is built with it" >&2; exit 1; }
  go version
  say_cached
  exit 0
fi

[[ "$(id -u)" == 0 ]] || { echo "need root to apt-get install ${missing[*]}" >&2; exit 1; }
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
command -v go >/dev/null || { echo "Go not found (looked in PATH and /usr/local/go/bin); Dagger is built with it" >&2; exit 1; }
