#!/usr/bin/env bash
# Installs missing commands from Debian. Arguments are command:package pairs, e.g.
#   bash scripts/ensure-debian.sh redis-server:redis-server redis-cli:redis-tools
set -euo pipefail
packages=()
for pair in "$@"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || packages+=("${pair#*:}")
done
[ ${#packages[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: install ${packages[*]} (Debian: apt-get install -y ${packages[*]})" >&2
  exit 1
fi
echo "installing ${packages[*]} from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${packages[@]}" >/dev/null
