import type { Server } from "bun";
import type { Sidecar } from "./compose.ts";
import { requestContext } from "./logging/context.ts";

/**
 * A sidecar composed on demand: the server listens and answers its own routes (/health) while
 * the application (Elysia, TypeBox, the engine: about 30 ms of evaluation and wiring) is loaded
 * behind it. Requests that reach the application before it is ready wait for it; after that
 * each costs one null check.
 */
export interface LazySidecar {
  /** Every request the server's own routes do not answer; the first one starts loading. */
  readonly fetch: (request: Request, server: Server<undefined>) => Response | Promise<Response>;
  /** Starts loading, once; resolves when the sidecar has started. */
  load(): Promise<Sidecar>;
  /** The sidecar once it has started, else null. */
  current(): Sidecar | null;
  /** Closes the sidecar, waiting for one still being loaded; never throws. */
  close(): Promise<void>;
}

/**
 * `compose` builds the sidecar (the dynamic import lives there, so the caller picks what is
 * deferred); its start() is called here. `failed` hears once of a sidecar that could not be
 * composed or started, whoever asked for it; the requests waiting for it fail too.
 */
export function lazySidecar(compose: () => Promise<Sidecar>, failed: (error: unknown) => void): LazySidecar {
  let loading: Promise<Sidecar> | undefined;
  let ready: Sidecar | null = null;
  const load = (): Promise<Sidecar> => {
    if (loading === undefined) {
      // Outside the context of the request that asked first: what the app sets up (the Redis
      // client's events, timers) would otherwise log that request's id for ever after.
      loading = requestContext.exit(() =>
        compose().then(async (sidecar) => {
          await sidecar.start();
          ready = sidecar;
          return sidecar;
        }),
      );
      loading.catch(failed);
    }
    return loading;
  };
  return {
    fetch: (request, server) => (ready !== null ? ready.fetch(request, server) : load().then((sidecar) => sidecar.fetch(request, server))),
    load,
    current: () => ready,
    async close() {
      const sidecar = await loading?.catch(() => null);
      await sidecar?.close();
    },
  };
}
