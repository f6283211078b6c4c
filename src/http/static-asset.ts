/**
 * Serves an asset embedded in the binary gzip-compressed: as is to clients that accept gzip
 * (all browsers), inflated once and then from memory to the rest, since Bun.serve never
 * compresses. `gzipped` is called on the first request, so start-up pays nothing for it.
 */
export function gzippedAsset(gzipped: () => Blob | Uint8Array<ArrayBuffer>, headers: Record<string, string>): (request: Request) => Promise<Response> {
  let body: Blob | Uint8Array<ArrayBuffer> | undefined;
  let plain: Uint8Array | undefined;
  const common = { ...headers, vary: "accept-encoding" };
  return async (request) => {
    body ??= gzipped();
    if (/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) {
      return new Response(body, { headers: { ...common, "content-encoding": "gzip" } });
    }
    plain ??= Bun.gunzipSync(body instanceof Blob ? new Uint8Array(await body.arrayBuffer()) : body);
    return new Response(plain, { headers: common });
  };
}

/** A long-lived versioned library (its file changes only with its version). */
export const LIBRARY_CACHE = "public, max-age=86400";
