/** The ceiling for scenario 1: a bare Bun.serve that parses the JSON request (the least any lookup must do) and answers a fixed JSON body. */
const body = process.env.BODY ?? "{}";
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT),
  routes: {
    "/health": new Response("ok"),
    "/cache/lookup": {
      POST: async (request) => {
        await request.json();
        return new Response(body, { headers: { "content-type": "application/json; charset=utf-8", "x-cache": "HIT" } });
      },
    },
  },
});
