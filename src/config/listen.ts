import { byteSizeIn, choiceOf, integerIn, textOf, type Bounds, type Definition } from "./value-types.ts";

// The variables the server needs to listen, read and checked before it does: a bad PORT or HOST
// ends the process (exit 2) before anything answers. The rest of the table (variables.ts) and
// its schema (model.ts, TypeBox: ~7 ms of loading and checking) are read after listening
// (main.ts), so the liveness probe is answered first. These rows are part of that table too,
// so both reads agree, and their bounds bound the schema's fields.

export const PORT_BOUNDS: Bounds = { minimum: 0, maximum: 65535 };
export const MAX_BODY_BYTES_BOUNDS: Bounds = { minimum: 1, maximum: 512 * 1024 ** 2 };
export const SHUTDOWN_TIMEOUT_MS_BOUNDS: Bounds = { minimum: 1, maximum: 600_000 };
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** HOST's characters, `/^[A-Za-z0-9.:\-[\]]+$/` as a loop. */
function isHostText(value: string): boolean {
  if (value === "") return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // 0-9 and ":", A-Z and "[", "]", a-z, "-", "."
    const allowed = (code >= 48 && code <= 58) || (code >= 65 && code <= 91) || code === 93 || (code >= 97 && code <= 122) || code === 45 || code === 46;
    if (!allowed) return false;
  }
  return true;
}

export const LISTEN_VARIABLES = {
  port: { name: "PORT", field: "port", description: "TCP port to listen on (0 picks a free one)", defaultValue: "8080", type: integerIn(PORT_BOUNDS) },
  host: { name: "HOST", field: "host", description: "Address to bind; loopback keeps the sidecar private to its pod", defaultValue: "127.0.0.1", type: textOf(isHostText, "a hostname or IP address") },
  logLevel: { name: "LOG_LEVEL", field: "logLevel", description: "Lowest level written as JSON lines to stdout", defaultValue: "info", type: choiceOf(LOG_LEVELS) },
  maxBodyBytes: { name: "MAX_BODY_BYTES", field: "maxBodyBytes", description: "Largest accepted request body", defaultValue: "8MB", type: byteSizeIn(MAX_BODY_BYTES_BOUNDS) },
  shutdownTimeoutMs: { name: "SHUTDOWN_TIMEOUT_MS", field: "shutdownTimeoutMs", description: "How long in-flight requests may take after SIGTERM", defaultValue: "10000", type: integerIn(SHUTDOWN_TIMEOUT_MS_BOUNDS) },
} as const satisfies Record<string, Definition & { defaultValue: string }>;

export interface ListenConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly maxBodyBytes: number;
  readonly shutdownTimeoutMs: number;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** What listening needs, in the table's order; throws ConfigError as loadConfig would for the same value. */
export function loadListenConfig(env: Environment): ListenConfig {
  const { port, host, logLevel, maxBodyBytes, shutdownTimeoutMs } = LISTEN_VARIABLES;
  return {
    port: port.type.parse(env[port.name] ?? port.defaultValue, port.name),
    host: host.type.parse(env[host.name] ?? host.defaultValue, host.name),
    logLevel: logLevel.type.parse(env[logLevel.name] ?? logLevel.defaultValue, logLevel.name),
    maxBodyBytes: maxBodyBytes.type.parse(env[maxBodyBytes.name] ?? maxBodyBytes.defaultValue, maxBodyBytes.name),
    shutdownTimeoutMs: shutdownTimeoutMs.type.parse(env[shutdownTimeoutMs.name] ?? shutdownTimeoutMs.defaultValue, shutdownTimeoutMs.name),
  };
}
