export {};

/**
 * The floor for proxy-stream-ttfb: a bare Bun.serve that parses the JSON request and answers the
 * stored event stream (the bytes the sidecar replays, read from BODY_FILE) in one piece.
 */
const body = new Uint8Array(await Bun.file(process.env.BODY_FILE ?? "").arrayBuffer());
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT),
  routes: {
    "/health": new Response("ok"),
    "/v1/chat/completions": {
      POST: async (request) => {
        await request.json();
        return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "x-cache": "HIT" } });
      },
    },
  },
});
