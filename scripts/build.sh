#!/usr/bin/env bash
# Builds dist/ai-response-cache (or $OUT): one executable holding the service, its OpenAPI document,
# its docs UI and its dashboard. Identifier minification is left off because it breaks Elysia's handler
# inspection; bytecode cuts start-up time; splitting puts each dynamically imported part (the
# application behind the listening server, the Redis client, the docs) in its own chunk, so
# start-up loads only the entry's code; the JIT starts 16 times as reluctant, so code that runs
# only at start-up stays in the interpreter (main.ts restores the normal policy once the app is
# built); .env and bunfig.toml in the working directory are not read at run time, so the
# environment alone configures a deployed sidecar.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN="${BUN:-node_modules/.bin/bun}"
OUT="${OUT:-dist/ai-response-cache}"
mkdir -p "$(dirname "$OUT")"
"$BUN" build src/main.ts --compile --bytecode --splitting --compile-jit-policy=16 --format=esm \
  --minify-whitespace --minify-syntax --sourcemap \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --outfile "$OUT"
ls -l "$OUT"
