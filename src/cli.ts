import { ENV_VARIABLES } from "./config/variables.ts";

export function usage(version: string): string {
  const width = Math.max(...ENV_VARIABLES.map((variable) => variable.name.length));
  const rows = ENV_VARIABLES.map((variable) => {
    const fallback = variable.defaultValue === undefined ? "unset" : `default ${variable.defaultValue}`;
    return `  ${variable.name.padEnd(width)}  ${variable.description} (${fallback})`;
  });
  return [
    `ai-response-cache ${version}: a sidecar that caches AI (LLM) responses in memory and Redis.`,
    "",
    "Usage: ai-response-cache [--help | --version]",
    "",
    "Configuration comes from the environment only:",
    ...rows,
    "",
    "Endpoints: /cache/lookup, /cache/store, /cache/entries/{key}, /internal/cache/*, /health, /ready, /metrics, /docs",
    "A bad value exits with code 2 and one line naming the variable.",
    "",
  ].join("\n");
}
