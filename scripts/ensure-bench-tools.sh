#!/usr/bin/env bash
# The benchmarks need wrk (the HTTP load generator), redis-server and taskset; installs the
# missing ones from Debian.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing: ${missing[*]} (Debian: apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
