#!/usr/bin/env bash
# Installs redis-server from Debian when it is missing; the integration tests start their own.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing: install it (Debian: apt-get install -y redis-server)" >&2
  exit 1
fi
echo "installing redis-server from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server >/dev/null
# The package may start a system instance on 6379; the tests never use it.
