#!/usr/bin/env bash
# Installs what the tests run besides Bun, from Debian, when missing: redis-server (the tests
# start their own servers, clusters and sentinels), redis-cli (to join a cluster) and openssl
# (to make certificates for the TLS test).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server, redis-cli or openssl is missing: install them (Debian: apt-get install -y redis-server redis-tools openssl)" >&2
  exit 1
fi
echo "installing redis-server, redis-tools and openssl from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq redis-server redis-tools openssl >/dev/null
# The package may start a system instance on 6379; the tests never use it.
