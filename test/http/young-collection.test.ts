import { describe, expect, test } from "bun:test";
import { serve } from "../../src/http/serve.ts";
import { engineYoungCollection, pacedCollections } from "../../src/http/young-collection.ts";
import { createMemoryLogger } from "../support/logger.ts";
import { waitFor } from "../support/poll.ts";

describe("young collections paced by requests", () => {
  test("one collection every N requests, after the current turn; none when N is 0", async () => {
    let collected = 0;
    const count = pacedCollections({ everyRequests: 3, collect: () => collected++ });
    for (let i = 0; i < 8; i++) count();
    expect(collected).toBe(0); // scheduled, not run inside the request
    await new Promise((resolve) => setImmediate(resolve));
    expect(collected).toBe(2);
    const never = pacedCollections({ everyRequests: 0, collect: () => collected++ });
    for (let i = 0; i < 10; i++) never();
    await new Promise((resolve) => setImmediate(resolve));
    expect(collected).toBe(2);
  });

  test("the server counts every request, handler and runtime routes alike", async () => {
    let collected = 0;
    const running = serve(() => new Response("handler"), {
      host: "127.0.0.1",
      port: 0,
      maxBodyBytes: 1024,
      shutdownTimeoutMs: 2000,
      logger: createMemoryLogger("warn"),
      routes: { "/fast": { GET: () => new Response("route") } },
      youngCollection: { everyRequests: 4, collect: () => collected++ },
    });
    try {
      for (let i = 0; i < 5; i++) expect(await (await fetch(`${running.url}/other`)).text()).toBe("handler");
      for (let i = 0; i < 3; i++) expect(await (await fetch(`${running.url}/fast`)).text()).toBe("route");
      await waitFor(() => collected === 2);
      expect(collected).toBe(2);
    } finally {
      await running.shutdown();
    }
  });

  test("the engine's young collection frees young garbage", async () => {
    const refs = ((): WeakRef<object>[] => Array.from({ length: 100 }, (_, i) => new WeakRef({ i })))();
    // WeakRefs made in this job are kept alive until it ends.
    await new Promise((resolve) => setImmediate(resolve));
    engineYoungCollection();
    await new Promise((resolve) => setImmediate(resolve));
    // The stack is scanned conservatively, so a few may survive; a collection frees most.
    expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThan(50);
  });
});
