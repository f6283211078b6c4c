import { DEFAULT_BOUNDS, type Bounds } from "./checker.ts";

export interface RunOptions {
  readonly seconds: number;
  readonly sidecars: number;
  readonly clients: number;
  readonly seed: number;
  readonly faults: boolean;
  readonly bounds: Bounds;
  /** fast-check families for the key injectivity phase (0 skips it). */
  readonly injectivityFamilies: number;
  /** Violations printed with their history excerpt; the rest are counted. */
  readonly maxReport: number;
  /** Where to write the recorded history as JSON, for inspection (null: nowhere). */
  readonly historyOut: string | null;
}

export const USAGE = `usage: bun scripts/check-consistency.ts [options]

Runs several sidecar processes on one real Redis under concurrent random store / lookup /
delete / invalidate traffic with faults injected (CLIENT PAUSE, SIGSTOP, CLIENT KILL TYPE
pubsub, Redis restart), then checks the recorded history and key injectivity against the
README's guarantees. Exits 1 on any violation, 2 on a usage or set-up error.

  --seconds N               workload duration (default 20)
  --sidecars N              sidecar processes (default 3)
  --clients N               concurrent clients (default 6)
  --seed N                  seed of every random choice (default: random, printed)
  --no-faults               run without injecting faults
  --cross-bound-ms N        how long another sidecar may serve a replaced value (default ${DEFAULT_BOUNDS.crossSidecarMs})
  --deaf-bound-ms N         the same, counted from the end of a fault (default ${DEFAULT_BOUNDS.deafMs})
  --settle-ms N             how long after a fault a timed-out write may still land (default ${DEFAULT_BOUNDS.settleMs})
  --injectivity-families N  random input families for the key injectivity phase (default 150, 0 skips)
  --max-report N            violations printed in full (default 50)
  --history-out FILE        also write the recorded history to FILE as JSON
`;

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): RunOptions | "help" {
  const numbers = new Map<string, number>();
  let faults = true;
  let historyOut: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--no-faults") {
      faults = false;
      continue;
    }
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (name === "--history-out") {
      const path = inline ?? argv[++i];
      if (path === undefined || path === "") throw new UsageError("--history-out needs a file name");
      historyOut = path;
      continue;
    }
    const known = ["--seconds", "--sidecars", "--clients", "--seed", "--cross-bound-ms", "--deaf-bound-ms", "--settle-ms", "--injectivity-families", "--max-report"];
    if (!known.includes(name)) throw new UsageError(`unknown option ${arg}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || raw.trim() === "" || !Number.isFinite(value) || value < 0) throw new UsageError(`${name} needs a number of 0 or more`);
    numbers.set(name, value);
  }
  const get = (name: string, fallback: number) => numbers.get(name) ?? fallback;
  const options: RunOptions = {
    seconds: get("--seconds", 20),
    sidecars: Math.floor(get("--sidecars", 3)),
    clients: Math.floor(get("--clients", 6)),
    seed: Math.floor(get("--seed", Math.floor(Math.random() * 2 ** 31))) >>> 0,
    faults,
    bounds: {
      crossSidecarMs: get("--cross-bound-ms", DEFAULT_BOUNDS.crossSidecarMs),
      deafMs: get("--deaf-bound-ms", DEFAULT_BOUNDS.deafMs),
      settleMs: get("--settle-ms", DEFAULT_BOUNDS.settleMs),
    },
    injectivityFamilies: Math.floor(get("--injectivity-families", 150)),
    maxReport: Math.floor(get("--max-report", 50)),
    historyOut,
  };
  if (options.seconds <= 0) throw new UsageError("--seconds must be above 0");
  if (options.sidecars < 2) throw new UsageError("--sidecars must be at least 2");
  if (options.clients < 1) throw new UsageError("--clients must be at least 1");
  return options;
}
