#!/usr/bin/env bash
# deps.sh MODE makes sure the tools that MODE needs are present.
#
#   run   Go only.
#   test  Go plus the real tools the integration tests drive: ffmpeg/ffprobe,
#         redis-server, wrk, nginx, varnishd, chromium, node/npm, the DejaVu
#         font used by testdata/make.sh, and the npm packages of usher/web.
#
# Missing Debian packages are installed when running as root (or with
# password-less sudo). A tool that is still missing afterwards is fatal when
# CI=true; otherwise it is a warning, because those tests skip themselves.
# When everything is present the script prints nothing and touches no network.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-}
case $mode in
run | test) ;;
*)
	echo "usage: scripts/deps.sh run|test" >&2
	exit 2
	;;
esac

# Binaries such as nginx and varnishd live in sbin, which a non-root PATH may
# lack.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

ci=false
[[ ${CI:-} == true ]] && ci=true

# tools_test lists name|checks|apt packages. A check is a command name or an
# absolute file path; several are separated by commas, packages by spaces.
tools_test=(
	"ffmpeg|ffmpeg,ffprobe|ffmpeg"
	"redis-server|redis-server|redis-server"
	"wrk|wrk|wrk"
	"nginx|nginx|nginx-light"
	"varnish|varnishd|varnish"
	"chromium|chromium|chromium"
	"node|node|nodejs"
	"npm|npm|npm"
	"DejaVu font|/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf|fonts-dejavu-core"
	"C toolchain for go test -race|gcc,/usr/include/stdio.h|gcc libc6-dev"
)

say() { printf 'deps: %s\n' "$*"; }

# present reports whether every comma-separated check of one tool passes.
present() {
	local check
	local -a checks
	IFS=, read -r -a checks <<<"$1"
	for check in "${checks[@]}"; do
		if [[ $check == /* ]]; then
			[[ -e $check ]] || return 1
		else
			command -v "$check" >/dev/null 2>&1 || return 1
		fi
	done
}

# as_root runs a command as root, or fails when that is not possible without
# a password.
as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

can_apt() {
	command -v apt-get >/dev/null 2>&1 || return 1
	[[ $(id -u) -eq 0 ]] && return 0
	command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

apt_log=${TMPDIR:-/tmp}/livetree-deps-apt.log
apt_ran=false

# apt_install installs packages, updating the package lists first. It tries
# all packages in one transaction and, if that fails, each on its own so one
# unavailable package does not block the rest.
apt_install() {
	apt_ran=true
	: >"$apt_log"
	say "installing $* (log: $apt_log)"
	if ! as_root apt-get update >>"$apt_log" 2>&1; then
		say "warning: apt-get update failed; trying the cached package lists"
	fi
	local -a install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends)
	if as_root "${install[@]}" "$@" >>"$apt_log" 2>&1 || [[ $# -eq 1 ]]; then
		return 0
	fi
	local pkg
	for pkg in "$@"; do
		as_root "${install[@]}" "$pkg" >>"$apt_log" 2>&1 || say "warning: apt-get install $pkg failed"
	done
}

missing=()

# check_go fails hard in every mode: nothing builds without Go, and Debian's
# golang package is older than go.mod requires, so it is not installed here.
check_go() {
	if ! command -v "${GO:-go}" >/dev/null 2>&1; then
		echo "deps: error: Go is required but '${GO:-go}' is not on PATH (install Go $(sed -n 's/^go //p' go.mod) from go.dev, e.g. to /usr/local/go)" >&2
		exit 1
	fi
}

# ensure_tools installs the apt packages of every absent tool in the table
# and records the ones still absent in missing.
ensure_tools() {
	local entry name check pkgs
	local -a absent=() packages=() more=()
	for entry in "$@"; do
		IFS='|' read -r name check pkgs <<<"$entry"
		if ! present "$check"; then
			absent+=("$entry")
			read -r -a more <<<"$pkgs"
			packages+=("${more[@]}")
		fi
	done
	[[ ${#absent[@]} -eq 0 ]] && return 0

	if can_apt; then
		apt_install "${packages[@]}"
	fi
	for entry in "${absent[@]}"; do
		IFS='|' read -r name check pkgs <<<"$entry"
		if present "$check"; then
			say "installed $name (apt package $pkgs)"
		else
			missing+=("$name (apt package $pkgs)")
		fi
	done
}

# npm_deps installs the pinned npm packages of every web folder. It is the
# hook for JavaScript test dependencies: add folders to dirs as they appear.
# It is skipped when node_modules is newer than the manifest and lock file.
npm_deps() {
	local dir
	local -a dirs=(usher/web)
	for dir in "${dirs[@]}"; do
		[[ -f $dir/package.json ]] || continue
		if ! command -v npm >/dev/null 2>&1; then
			missing+=("npm packages of $dir (npm is missing)")
			continue
		fi
		local stamp=$dir/node_modules/.package-lock.json
		if [[ -f $stamp && ! $dir/package.json -nt $stamp && ! ($dir/package-lock.json -nt $stamp) ]]; then
			continue
		fi
		local -a cmd=(npm install)
		[[ -f $dir/package-lock.json ]] && cmd=(npm ci)
		# Browser downloads cannot work here; tests use Debian's chromium.
		if PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
			"${cmd[@]}" --prefix "$dir" --no-audit --no-fund --loglevel=error >"${TMPDIR:-/tmp}/livetree-deps-npm.log" 2>&1; then
			say "installed npm packages of $dir (${cmd[*]})"
		else
			tail -n 20 "${TMPDIR:-/tmp}/livetree-deps-npm.log" >&2
			missing+=("npm packages of $dir (${cmd[*]} failed)")
		fi
	done
}

check_go
if [[ $mode == test ]]; then
	ensure_tools "${tools_test[@]}"
	npm_deps
fi

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $ci == true ]]; then
	for m in "${missing[@]}"; do
		echo "deps: error: missing $m, required when CI=true" >&2
	done
	if [[ $apt_ran == true ]]; then
		tail -n 20 "$apt_log" >&2
	fi
	exit 1
fi
for m in "${missing[@]}"; do
	say "warning: missing $m; tests that need it will be skipped"
done
exit 0
