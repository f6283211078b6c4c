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
    "A bad value exits with code 2 and one line naming the variable; failing to listen (port in use,",
    "address not available) exits with code 3 and one line naming PORT or HOST.",
    "",
  ].join("\n");
}

/** Exit code when the service cannot listen (port in use, address not available...); 2 is a configuration error. */
export const EXIT_LISTEN_FAILED = 3;

/**
 * One line for a failure to listen, naming the problem and the variable to change, or null for
 * an error that is not one (which then surfaces as it is).
 */
export function describeListenFailure(error: unknown, host: string, port: number): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return `cannot listen on ${where}: the port is already in use; set PORT to a free port (0 picks one)`;
    case "EACCES":
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set PORT to 1024 or above`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${where}: the address is not available on this machine; set HOST to one of its addresses (e.g. 127.0.0.1 or 0.0.0.0)`;
    case "EINVAL":
    case "ENOTFOUND":
    case "EAI_NONAME":
      return `cannot listen on ${where}: the address is not valid here; set HOST to an address of this machine (e.g. 127.0.0.1 or 0.0.0.0)`;
    default:
      return null;
  }
}
