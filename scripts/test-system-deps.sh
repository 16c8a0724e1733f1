#!/usr/bin/env bash
# The Debian packages the test suite drives for real: Chromium (browser tests), lftp and curl (FTPS
# clients). Installs what is missing when run as root with apt; otherwise names the one command to run.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v lftp >/dev/null 2>&1 || need+=(lftp)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for the tests: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "The tests need these Debian packages: ${need[*]}" >&2
echo "Install them once with:  sudo apt-get install -y ${need[*]}" >&2
exit 1
