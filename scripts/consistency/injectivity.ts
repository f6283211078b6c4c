import { exchange, field, type Exchange } from "./http.ts";
import { checkInjectivity, type Answer, type InjectivityInput, type InjectivityRecord, type InjectivityResult } from "./injectivity-check.ts";
import { injectivityInputs } from "./injectivity-inputs.ts";

/** Requests in flight at once during the phase. */
const CONCURRENCY = 16;

function requestBody(input: InjectivityInput): Record<string, unknown> {
  const body: Record<string, unknown> = { operation: input.operation, text: input.text };
  if ("options" in input) body.options = input.options;
  if (input.question !== undefined) body.question = input.question;
  return body;
}

function answer(exchanged: Exchange): Answer {
  const key = field(exchanged.body, "key");
  const errorField = field(exchanged.body, "field");
  const hit = field(exchanged.body, "hit");
  return {
    status: exchanged.status ?? 0,
    key: typeof key === "string" ? key : undefined,
    field: typeof errorField === "string" ? errorField : undefined,
    hit: typeof hit === "boolean" ? hit : undefined,
    marker: field(field(exchanged.body, "response"), "inj"),
  };
}

async function inBatches<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
    }),
  );
  return results;
}

/**
 * Stores every input through one sidecar (response `{inj: index}`), then looks every one up,
 * and checks the answers (see injectivity-check.ts).
 */
export async function runInjectivity(sidecarUrl: string, seed: number, families: number): Promise<InjectivityResult> {
  const clock = () => performance.now();
  const inputs = injectivityInputs(seed, families);
  const stores = await inBatches(inputs, (input, index) =>
    exchange(clock, `${sidecarUrl}/cache/store`, { method: "POST", body: { ...requestBody(input), response: { inj: index } } }),
  );
  const lookups = await inBatches(inputs, (input) => exchange(clock, `${sidecarUrl}/cache/lookup`, { method: "POST", body: requestBody(input) }));
  const records: InjectivityRecord[] = inputs.map((input, index) => ({ index, input, store: answer(stores[index]!), lookup: answer(lookups[index]!) }));
  return checkInjectivity(records);
}
