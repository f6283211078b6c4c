/**
 * Realistic traffic against a running sidecar, for the dashboard's tests: data-plane lookups
 * and stores over several operations (repeats hit, new texts miss and are stored), proxy
 * requests for a few models through the sidecar to the mock upstream (repeats are served from
 * the cache with their usage), and invalidations whose pattern matches nothing (which the
 * monitor turns into recommendations). It comes in waves `pauseMs` apart, of varying size, so
 * it spreads over several of the monitor's slices. Bounded: about 150 requests a wave.
 */
export interface TrafficOptions {
  readonly url: string;
  /** Sent as X-API-Key (data plane) and X-Cache-Api-Key (proxy) when the sidecar has keys. */
  readonly apiKey?: string;
  readonly waves: number;
  readonly pauseMs: number;
  /** A credential the mock upstream accepts. */
  readonly upstreamKey: string;
}

const OPERATIONS = [
  { operation: "summarize", weight: 5, repeat: 0.8 },
  { operation: "translate", weight: 3, repeat: 0.6 },
  { operation: "sentiment", weight: 3, repeat: 0.9 },
  { operation: "qa", weight: 2, repeat: 0.3 },
  { operation: "key_points", weight: 1, repeat: 0.5 },
];

const CHAT_MODELS = [
  { model: "gpt-4o-mini", weight: 4 },
  { model: "gpt-4o", weight: 2 },
];

export async function generateTraffic(options: TrafficOptions): Promise<void> {
  const keyHeaders: Record<string, string> = options.apiKey ? { "x-api-key": options.apiKey } : {};
  const proxyHeaders: Record<string, string> = { authorization: `Bearer ${options.upstreamKey}`, ...(options.apiKey ? { "x-cache-api-key": options.apiKey } : {}) };
  const post = async (path: string, body: unknown, headers: Record<string, string>): Promise<Response> => {
    const json: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
    const response = await fetch(`${options.url}${path}`, { method: "POST", headers: { ...json, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    await response.arrayBuffer();
    if (response.status >= 400) throw new Error(`${path} answered ${response.status}`);
    return response;
  };
  let fresh = 0;
  for (let wave = 0; wave < options.waves; wave++) {
    // Busier and quieter waves, so the charts have a shape.
    const size = 6 + Math.round(5 * (1 + Math.sin(wave / 1.7)));
    const requests: Promise<unknown>[] = [];
    for (const { operation, weight, repeat } of OPERATIONS) {
      for (let i = 0; i < size * weight; i++) {
        // A repeated text hits once stored; a fresh one misses and is stored.
        const text = ((i * 7919 + wave * 104729) % 1000) / 1000 < repeat ? `${operation} document ${i % 8}` : `${operation} new ${fresh++}`;
        requests.push(
          (async () => {
            const lookup = await fetch(`${options.url}/cache/lookup`, {
              method: "POST",
              headers: { "content-type": "application/json", ...keyHeaders },
              body: JSON.stringify({ operation, text, options: { max_length: 100 } }),
            });
            const found = (await lookup.json()) as { hit?: boolean };
            if (!found.hit) await post("/cache/store", { operation, text, options: { max_length: 100 }, response: { text: `${operation} of ${text}`.repeat(20) } }, keyHeaders);
          })(),
        );
      }
    }
    for (const { model, weight } of CHAT_MODELS) {
      for (let i = 0; i < weight * 2; i++) {
        const content = i % 3 === 0 ? `question ${wave}-${i}` : `frequent question ${i % 2}`;
        requests.push(post("/v1/chat/completions", { model, temperature: 0, messages: [{ role: "user", content }] }, proxyHeaders));
      }
    }
    requests.push(post("/v1/embeddings", { model: "text-embedding-3-small", input: `embed ${wave % 2}` }, proxyHeaders));
    requests.push(
      post(
        "/anthropic/v1/messages",
        { model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: `hello ${wave % 3}` }] },
        { "x-api-key": options.upstreamKey, "anthropic-version": "2023-06-01", ...(options.apiKey ? { "x-cache-api-key": options.apiKey } : {}) },
      ),
    );
    await Promise.all(requests);
    if (wave % 2 === 1) await post(`/internal/cache/invalidate?pattern=${encodeURIComponent("op:retired-operation")}`, undefined, keyHeaders);
    if (wave < options.waves - 1) await Bun.sleep(options.pauseMs);
  }
}
