#!/usr/bin/env bash
# Dagger's CLI, engine and the helpers its image needs (dial-stdio, dagger-init, dnsname),
# built from the Go module proxy at dagger.json's engineVersion and stamped with it (the
# engine refuses modules that require another version otherwise); the CNI plugins the engine
# uses (bridge, loopback, firewall, host-local) likewise. Pure Go, CGO off.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

binaries=(dagger dagger-engine dial-stdio dagger-init dnsname cni/bridge cni/loopback cni/firewall cni/host-local)
key="$(stamp_key "$ENGINE_VERSION" "$CNI_PLUGINS_VERSION" "$(go env GOVERSION)")"
all_there() { local b; for b in "${binaries[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done; }
if stamp_ok "$STAMP_DIR/dagger-binaries" "$key" && all_there; then
  say_cached
  exit 0
fi

export GOMODCACHE="$CACHE_BASE/go/mod" GOCACHE="$CACHE_BASE/go/build" CGO_ENABLED=0
go version
echo "GOPROXY=$(go env GOPROXY)"

json_field() { # json-text field.path
  node -e 'let v = JSON.parse(process.argv[1]); for (const k of process.argv[2].split(".")) v = v?.[k]; process.stdout.write(v == null ? "" : String(v))' "$1" "$2"
}

module="github.com/dagger/dagger"
download="$(go mod download -json "$module@$ENGINE_VERSION" || true)"
err="$(json_field "$download" Error)"
if [[ -n "$err" ]]; then
  # go's text repeats the module and the URL; keep the status and the server's answer.
  reason="$(printf '%s' "$err" | tr -s '\n\t ' ' ' | sed -E 's/^.*: ([0-9]{3} )/\1/')"
  echo "the Go module proxy ($(go env GOPROXY)) did not serve $module@$ENGINE_VERSION: $reason" >&2
  exit 1
fi
module_dir="$(json_field "$download" Dir)"
commit="$(json_field "$download" Origin.Hash)"
echo "$module@$ENGINE_VERSION is commit ${commit:-unknown}"

# The module's go.mod replaces its nested modules with local paths that a module download
# does not contain; point each at the proxy instead.
src="$CACHE_DIR/src/dagger"
rm -rf "$src"
mkdir -p "$(dirname "$src")"
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
local_replaces="$(cd "$src" && go mod edit -json |
  node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const r of m.Replace ?? []) if (r.New.Path.startsWith(".")) console.log(r.Old.Path)')"
for old in $local_replaces; do
  case "$old" in
    dagger.io/dagger) version="$ENGINE_VERSION" ;; # the Go SDK is released under this name and tag
    "$module"/*)
      [[ -n "$commit" ]] || { echo "no commit for $module@$ENGINE_VERSION, so no version for $old" >&2; exit 1; }
      if ! listed="$(go list -m -json "$old@$commit" 2>&1)"; then
        reason="$(printf '%s' "$listed" | tr -s '\n\t ' ' ' | sed -E 's/^.*: ([0-9]{3} )/\1/')"
        echo "the Go module proxy did not serve $old at $module@$ENGINE_VERSION's commit ${commit:0:12}: $reason" >&2
        exit 1
      fi
      version="$(json_field "$listed" Version)"
      ;;
    *) echo "go.mod replaces $old with a local path, and there is no rule for its version" >&2; exit 1 ;;
  esac
  echo "replace $old => proxy $version"
  (cd "$src" && go mod edit -dropreplace="$old" -require="$old@$version")
done

out="$BIN_DIR.partial"
rm -rf "$out"
mkdir -p "$out/cni"
ldflags="-s -w -X $module/engine.Version=$ENGINE_VERSION -X $module/engine.Tag=$ENGINE_VERSION"
build() { # package output
  echo "go build $1"
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -tags dfexcludepatterns,dfparents -ldflags "$ldflags" -o "$out/$2" "$1")
}
build ./cmd/dagger dagger
build ./cmd/engine dagger-engine
build ./cmd/dialstdio dial-stdio
build ./cmd/init dagger-init
build ./cmd/dnsname dnsname

cni="github.com/containernetworking/plugins/plugins"
echo "go install CNI plugins $CNI_PLUGINS_VERSION"
GOBIN="$out/cni" go install -trimpath -ldflags "-s -w" \
  "$cni/main/bridge@$CNI_PLUGINS_VERSION" "$cni/main/loopback@$CNI_PLUGINS_VERSION" \
  "$cni/meta/firewall@$CNI_PLUGINS_VERSION" "$cni/ipam/host-local@$CNI_PLUGINS_VERSION"

"$out/dagger" version
"$out/dagger-engine" --version
rm -rf "$BIN_DIR"
mv "$out" "$BIN_DIR"
stamp_write "$STAMP_DIR/dagger-binaries" "$key"
