#!/usr/bin/env bash
# Sets up a fresh machine that has Node >= 20 and npm: pnpm at the version this repository
# pins, Debian's Chromium for the HTML reports' browser tests (Playwright's own browser
# downloads cannot be reached everywhere; installed only when missing, and only through apt),
# then the workspace, which brings Node 24 as the `node` devDependency every `pnpm run` uses.
# The README's quick start and .ci/run both start here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pnpm_version=12.21.0
if [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  npm install --global "pnpm@$pnpm_version"
fi

if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: Chromium is missing and this machine has no apt-get; install Chromium (the browser tests use /usr/bin/chromium, or CHROMIUM_PATH), then run this again" >&2
    exit 1
  fi
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

pnpm install --frozen-lockfile
