#!/usr/bin/env bash
# Installs Prism, pinned by package-lock.json, into DEST for the tests of the Lambda provider.
# Where npm or its registry cannot be reached it writes why to DEST/unavailable and exits 0:
# the tests that need Prism then skip, printing that reason.
set -u
src=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install.sh DEST}
mkdir -p "$dest"
rm -f "$dest/unavailable"
if [ -x "$dest/node_modules/.bin/prism" ] && cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm is not installed (apt-get install nodejs npm)" >"$dest/unavailable"
    exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
if ! (cd "$dest" && timeout 900 npm ci --no-audit --no-fund --loglevel=error) >"$dest/install.log" 2>&1; then
    echo "npm ci failed, is the npm registry reachable? $(tail -n 3 "$dest/install.log" | tr '\n' ' ')" >"$dest/unavailable"
    rm -f "$dest/package-lock.json"
fi
exit 0
