#!/usr/bin/env bash
# Builds dist/ai-response-cache: one executable holding the service, its OpenAPI document and
# its docs UI. Identifier minification is left off because it breaks Elysia's handler
# inspection; bytecode cuts start-up time; .env and bunfig.toml in the working directory are
# not read at run time, so the environment alone configures a deployed sidecar.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN="${BUN:-node_modules/.bin/bun}"
mkdir -p dist
"$BUN" build src/main.ts --compile --bytecode --format=esm \
  --minify-whitespace --minify-syntax --sourcemap \
  --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --outfile dist/ai-response-cache
ls -l dist/ai-response-cache
