import { describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Sidecar } from "../../src/compose.ts";
import { lazySidecar } from "../../src/lazy-sidecar.ts";
import { requestContext } from "../../src/logging/context.ts";

const server = {} as Server<undefined>;

/** Just enough of a sidecar for the loader: it answers with its name and counts start() and close(). */
function fakeSidecar(name: string) {
  const calls = { start: 0, close: 0 };
  const sidecar = {
    fetch: (request: Request) => new Response(`${name} ${new URL(request.url).pathname}`),
    start: async () => void calls.start++,
    close: async () => void calls.close++,
  } as unknown as Sidecar;
  return { sidecar, calls };
}

describe("a sidecar loaded behind the server", () => {
  test("nothing is composed until asked; requests that come first wait for it, once", async () => {
    const { sidecar, calls } = fakeSidecar("app");
    let composed = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lazy = lazySidecar(async () => {
      composed++;
      await gate;
      return sidecar;
    }, () => {});
    expect([composed, lazy.current()]).toEqual([0, null]);
    const first = lazy.fetch(new Request("http://localhost/a"), server);
    const second = lazy.fetch(new Request("http://localhost/b"), server);
    expect(composed).toBe(1);
    release();
    expect(await (await first).text()).toBe("app /a");
    expect(await (await second).text()).toBe("app /b");
    expect([composed, calls.start, lazy.current()]).toEqual([1, 1, sidecar]);
    // Once started, a request is answered directly, not through a promise.
    expect(lazy.fetch(new Request("http://localhost/c"), server)).toBeInstanceOf(Response);
  });

  test("the sidecar is composed and started outside the context of the request that asked first", async () => {
    const { sidecar } = fakeSidecar("app");
    const seen: unknown[] = [];
    const lazy = lazySidecar(async () => {
      seen.push(requestContext.getStore());
      await Bun.sleep(1);
      seen.push(requestContext.getStore());
      return sidecar;
    }, () => {});
    const response = await requestContext.run({ request_id: "first-request" }, () => lazy.fetch(new Request("http://localhost/a"), server));
    expect(await response.text()).toBe("app /a");
    expect(seen).toEqual([undefined, undefined]);
  });

  test("a failure is reported once and fails the waiting requests", async () => {
    const failures: unknown[] = [];
    const lazy = lazySidecar(async () => {
      throw new Error("cannot compose");
    }, (error) => failures.push(error));
    await expect(lazy.fetch(new Request("http://localhost/a"), server)).rejects.toThrow("cannot compose");
    await expect(lazy.load()).rejects.toThrow("cannot compose");
    expect(failures.map((error) => (error as Error).message)).toEqual(["cannot compose"]);
    expect(lazy.current()).toBeNull();
    await lazy.close(); // never throws
  });

  test("close waits for a sidecar being loaded, and closes nothing that was never loaded", async () => {
    const idle = lazySidecar(async () => fakeSidecar("never").sidecar, () => {});
    await idle.close();
    const { sidecar, calls } = fakeSidecar("app");
    const lazy = lazySidecar(async () => sidecar, () => {});
    void lazy.load();
    await lazy.close();
    expect(calls).toEqual({ start: 1, close: 1 });
  });
});
