#!/usr/bin/env bash
# Proves the UI builds with Debian 12's own Node.js 18 (decision 0021): runs web's
# `npm run build` script under Node 18 and checks that it printed v18 and wrote
# web/dist/index.html. The packages in web/node_modules may be installed by any npm; only
# the build has to run under 18.
#
# When the machine's `node` is 18 it is used as it is. Otherwise (e.g. nodesource's 20)
# Debian's nodejs 18 packages are downloaded, not installed (`apt-get download`), and
# unpacked into build-node18/. Debian's node loads some of its own modules (acorn, undici,
# cjs-module-lexer) from /usr/share/nodejs by absolute path, so it runs in a private mount
# namespace in which /usr/share/nodejs is the unpacked one; the machine's stays untouched.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
web="$repo/web"

if [ ! -f "$web/node_modules/.package-lock.json" ] ||
  [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The build script of web/package.json, run by sh with node_modules/.bin on PATH as npm would.
build_script="$(cd "$web" && node -p 'require("./package.json").scripts.build')"
build_command="node --version && PATH=\"$web/node_modules/.bin:\$PATH\" && $build_script"
rm -rf "$web/dist"

if node --version | grep -q '^v18\.'; then
  output="$(cd "$web" && sh -c "$build_command" 2>&1)" || { echo "$output" >&2; exit 1; }
else
  root="$repo/build-node18"
  if [ ! -x "$root/usr/bin/node" ]; then
    # The newest 18.x Debian offers (bookworm or bookworm-security), whatever apt prefers.
    version="$(apt-cache madison nodejs | awk -F'|' '$2 ~ /^ *18\./ { gsub(/ /, "", $2); print $2; exit }')"
    if [ -z "$version" ]; then
      echo "error: apt knows no nodejs 18 (is this Debian 12 with its package lists?)" >&2
      exit 1
    fi
    debs="$(mktemp -d)"
    trap 'rm -rf "$debs"' EXIT
    (cd "$debs" && apt-get download -q "nodejs=$version" "libnode108=$version" \
      node-acorn node-cjs-module-lexer node-undici >/dev/null 2>&1) || {
      echo "error: apt-get download of Debian's nodejs $version failed" >&2
      exit 1
    }
    mkdir -p "$root"
    for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  fi
  # A mount point for the private bind mount; an empty directory changes nothing.
  [ -d /usr/share/nodejs ] || mkdir -p /usr/share/nodejs
  unshare_flags=(--mount)
  [ "$(id -u)" -eq 0 ] || unshare_flags+=(--map-root-user)
  output="$(cd "$web" && unshare "${unshare_flags[@]}" sh -c "
    mount --bind '$root/usr/share/nodejs' /usr/share/nodejs &&
    export LD_LIBRARY_PATH='$root/usr/lib/x86_64-linux-gnu' PATH='$root/usr/bin':\"\$PATH\" &&
    $build_command" 2>&1)" || { echo "$output" >&2; exit 1; }
fi

node_version="$(echo "$output" | head -n 1)"
case "$node_version" in
  v18.*) ;;
  *)
    echo "FAIL: the build ran under node $node_version, not 18" >&2
    exit 1
    ;;
esac
if [ ! -s "$web/dist/index.html" ]; then
  echo "$output" >&2
  echo "FAIL: the build under node $node_version wrote no web/dist/index.html" >&2
  exit 1
fi
echo "ok: the UI builds under Debian's node $node_version (web/dist/index.html)"
