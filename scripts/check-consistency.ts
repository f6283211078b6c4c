/**
 * `npm run check:consistency`: the randomized consistency checker. See scripts/consistency/:
 * checker.ts states the rules, workload.ts the traffic, faults.ts the faults.
 */
import { parseArgs, USAGE, UsageError, type RunOptions } from "./consistency/args.ts";
import { killStarted, killStartedNow } from "./consistency/processes.ts";
import { formatHistoryCheck, formatInjectivity } from "./consistency/report.ts";
import { runConsistency } from "./consistency/run.ts";

let parsed: RunOptions | "help";
try {
  parsed = parseArgs(Bun.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === "help") {
  console.log(USAGE);
  process.exit(0);
}
const options = parsed;

// Whatever happens, the processes this run started end with it.
process.on("exit", killStartedNow);
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.on(signal, () => void killStarted().finally(() => process.exit(code)));
}
// Bounded in time even if a process hangs: the workload, set-up and teardown fit well within this.
setTimeout(() => {
  console.error("consistency check: overall time limit reached; stopping");
  killStartedNow();
  process.exit(2);
}, (options.seconds + 120) * 1000).unref();

const { bounds } = options;
console.log(
  `consistency check: seed ${options.seed}, ${options.seconds} s, ${options.sidecars} sidecars, ${options.clients} clients, faults ${options.faults ? "on" : "off"}, ` +
    `bounds: cross-sidecar ${bounds.crossSidecarMs} ms, deaf ${bounds.deafMs} ms, settle ${bounds.settleMs} ms`,
);
const began = performance.now();
let result: Awaited<ReturnType<typeof runConsistency>>;
try {
  result = await runConsistency(options, (message) => console.error(`warning: ${message}`));
} catch (error) {
  console.error(`consistency check could not run: ${error instanceof Error ? error.message : String(error)}`);
  await killStarted();
  process.exit(2);
}

if (options.historyOut !== null) await Bun.write(options.historyOut, JSON.stringify(result.history));
for (const line of formatHistoryCheck(result.check, options.maxReport)) console.log(line);
if (result.injectivity !== null) for (const line of formatInjectivity(result.injectivity, options.maxReport)) console.log(line);
const violations = result.check.violations.length + (result.injectivity?.violations.length ?? 0);
const checked = result.check.counts.total + (result.injectivity?.inputs ?? 0) * 2;
console.log(
  `consistency: ${violations === 0 ? "PASS" : "FAIL"}: ${checked} operations checked, ${violations} violations, seed ${options.seed}, ` +
    `workload ${(result.workloadMs / 1000).toFixed(1)} s, total ${((performance.now() - began) / 1000).toFixed(1)} s`,
);
process.exit(violations === 0 ? 0 : 1);
