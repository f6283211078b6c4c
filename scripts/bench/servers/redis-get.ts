/**
 * The ceiling for the Redis-tier hit: a bare Bun.serve that parses the JSON request, makes one
 * node-redis GET of the entry's key (the client the sidecar uses, binary replies) and answers
 * the value it read. Nothing else: no key building, no decompression, no framework.
 */
import { createClient, RESP_TYPES } from "redis";

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();
const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const key = process.env.KEY!;
const headers = { "content-type": "application/json; charset=utf-8", "x-cache": "HIT" };
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT),
  routes: {
    "/health": new Response("ok"),
    "/cache/lookup": {
      POST: async (request) => {
        await request.json();
        const value = await binary.get(key);
        return new Response(value, { headers });
      },
    },
  },
});
