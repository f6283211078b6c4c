import type { RunOptions } from "./args.ts";
import { checkHistory, type CheckResult } from "./checker.ts";
import { runFaults, waitForSubscribers } from "./faults.ts";
import type { Fault, History, Operation } from "./history.ts";
import type { InjectivityResult } from "./injectivity-check.ts";
import { runInjectivity } from "./injectivity.ts";
import { startRedis, startSidecar, type SidecarProcess } from "./processes.ts";
import { Random } from "./random.ts";
import { keySpace, runWorkload } from "./workload.ts";

export interface RunResult {
  readonly history: History;
  readonly check: CheckResult;
  readonly injectivity: InjectivityResult | null;
  /** Wall time of the workload phase, in ms. */
  readonly workloadMs: number;
}

/**
 * One run: a fresh redis-server and `options.sidecars` sidecar processes, the workload with
 * faults, then the key injectivity phase through sidecar 0, then everything is stopped and
 * the history checked.
 */
export async function runConsistency(options: RunOptions, warn: (message: string) => void): Promise<RunResult> {
  const redis = await startRedis();
  const sidecars: SidecarProcess[] = [];
  try {
    sidecars.push(...(await Promise.all(Array.from({ length: options.sidecars }, (_, index) => startSidecar(index, redis.url)))));
    const origin = performance.now();
    const clock = () => performance.now() - origin;
    // Announcements are only heard once every sidecar has subscribed.
    if (!(await waitForSubscribers({ redis, sidecars: options.sidecars, clock })).ok) throw new Error("the sidecars did not subscribe to the coherence channel");
    const space = await keySpace(sidecars[0]!.url, clock);
    const random = new Random(options.seed);
    const workloadRandom = random.fork(1);
    const faultRandom = random.fork(2);

    let faultActive = false;
    const operations: Operation[] = [];
    const faults: Fault[] = [];
    const started = clock();
    const until = started + options.seconds * 1000;
    await Promise.all([
      runWorkload({ sidecars: sidecars.map((sidecar) => sidecar.url), clients: options.clients, random: workloadRandom, space, clock, until, faultActive: () => faultActive }, (operation) => operations.push(operation)),
      options.faults
        ? runFaults({ redis, sidecars: options.sidecars, random: faultRandom, clock, until, quietTailMs: options.bounds.deafMs + 1000, warn, onActive: (active) => (faultActive = active) }, (fault) => faults.push(fault))
        : Promise.resolve(),
    ]);
    const workloadMs = clock() - started;
    // A sidecar that died would leave its port to be answered by something else.
    for (const sidecar of sidecars) if (!(await sidecar.isItself())) throw new Error(`sidecar ${sidecar.index} (pid ${sidecar.pid}) is no longer the one answering ${sidecar.url}`);
    const injectivity = options.injectivityFamilies > 0 ? await runInjectivity(sidecars[0]!.url, options.seed, options.injectivityFamilies) : null;
    const history: History = { sidecars: options.sidecars, operations, faults };
    return { history, check: checkHistory(history, options.bounds), injectivity, workloadMs };
  } finally {
    const codes = await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    codes.forEach((code, index) => code !== 0 && warn(`sidecar ${index} exited with ${code} on SIGTERM`));
    await redis.kill();
  }
}
