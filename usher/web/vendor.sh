#!/usr/bin/env bash
# vendor.sh copies the pinned players from node_modules (npm ci, versions in
# package-lock.json) into static/vendor, where usher embeds and serves them.
# They are committed so that `make run` needs nothing beyond Go.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
[[ -d node_modules ]] || npm ci --no-audit --no-fund
out=static/vendor
mkdir -p "$out"
cp node_modules/hls.js/dist/hls.min.js "$out/hls.min.js"
cp node_modules/hls.js/LICENSE "$out/hls.LICENSE"
cp node_modules/dashjs/dist/modern/umd/dash.mediaplayer.min.js "$out/dash.mediaplayer.min.js"
cp node_modules/dashjs/LICENSE.md "$out/dash.LICENSE" 2>/dev/null || cp node_modules/dashjs/LICENSE "$out/dash.LICENSE"
{
	echo "hls.js $(node -p 'require("./node_modules/hls.js/package.json").version')"
	echo "dashjs $(node -p 'require("./node_modules/dashjs/package.json").version')"
} >"$out/VERSIONS"
cat "$out/VERSIONS"
