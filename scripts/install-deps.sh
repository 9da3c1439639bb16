#!/bin/sh
# Install the Debian packages mnemo needs to build and test.
# Idempotent and quiet when everything is present; works as root or via sudo.
set -eu

PKGS="build-essential pkg-config libsqlite3-dev libcurl4-openssl-dev libjansson-dev
libpcre2-dev libyaml-dev zlib1g-dev liblinear-dev libhnswlib-dev libcmocka-dev libmicrohttpd-dev python3 sqlite3 nodejs npm
chromium"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# nodejs/npm may come from elsewhere (nodesource, nvm): accept commands on PATH.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
# the dashboard test's browser may come from elsewhere too
if command -v chromium >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx chromium | tr '\n' ' ')
fi
missing=$(echo "$missing" | xargs)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "mnemo: missing packages: $missing (run as root or install sudo)" >&2
	exit 1
fi
echo "mnemo: installing missing packages: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
