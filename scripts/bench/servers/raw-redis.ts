/**
 * Raw Redis baselines from a Bun script with the same client the sidecar uses (node-redis):
 *   get <url> <key> <concurrency> <seconds>  -> GETs per second at that concurrency
 *   invalidate <url> <glob>                  -> ms for a plain SCAN + UNLINK loop
 * Prints one JSON line.
 */
import { createClient, RESP_TYPES } from "redis";

const [mode, url, ...rest] = process.argv.slice(2);
const client = createClient({ url });
await client.connect();
if (mode === "get") {
  const [key, concurrency, seconds] = rest;
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  let operations = 0;
  const deadline = performance.now() + Number(seconds) * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await binary.get(key!);
      operations++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Number(concurrency) }, worker));
  console.log(JSON.stringify({ opsPerSecond: operations / ((performance.now() - started) / 1000) }));
} else if (mode === "invalidate") {
  const [glob] = rest;
  const started = performance.now();
  let cursor = "0";
  let removed = 0;
  do {
    const reply = await client.scan(cursor, { MATCH: glob!, COUNT: 1000 });
    cursor = String(reply.cursor);
    if (reply.keys.length > 0) removed += await client.unlink(reply.keys);
  } while (cursor !== "0");
  console.log(JSON.stringify({ ms: performance.now() - started, removed }));
}
await client.close();
