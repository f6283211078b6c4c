import type { Endpoint } from "./verdict.ts";

export type Protocol = "openai" | "anthropic";

/** An API the proxy forwards to, and the path prefix it is served under. */
export interface Upstream {
  readonly name: string;
  readonly protocol: Protocol;
  /** No trailing slash: `${baseUrl}/${rest of the path}` is the upstream URL. */
  readonly baseUrl: string;
  /** The sidecar path prefix, e.g. "/v1", with no trailing slash. */
  readonly mount: string;
}

/** A request routed to an upstream: what follows the mount, and the endpoint when it is cacheable. */
export interface Route {
  readonly upstream: Upstream;
  /** The path after the mount, without its leading slash, e.g. "chat/completions". */
  readonly rest: string;
  /** The query string with its "?", or "". */
  readonly query: string;
  /** Set for the POST endpoints whose answers are cached; null passes the request through. */
  readonly endpoint: Endpoint | null;
}

/** Cacheable POST endpoints by path after the mount; every other request passes through. */
const CACHEABLE: Readonly<Record<Protocol, ReadonlyMap<string, Endpoint>>> = {
  openai: new Map<string, Endpoint>([
    ["chat/completions", "openai.chat.completions"],
    ["completions", "openai.completions"],
    ["embeddings", "openai.embeddings"],
    ["responses", "openai.responses"],
  ]),
  anthropic: new Map<string, Endpoint>([["v1/messages", "anthropic.messages"]]),
};

/** The operation names of proxy entries: stats, metrics and glob invalidation see them like any other. */
export const PROXY_ENDPOINTS: readonly Endpoint[] = [...CACHEABLE.openai.values(), ...CACHEABLE.anthropic.values()];

/** The mount paths: /v1 (OpenAI), /anthropic, and /upstreams/{name} for named OpenAI-compatible APIs. */
export function upstreamsOf(config: {
  proxyOpenaiUrl: string;
  proxyAnthropicUrl: string;
  proxyUpstreams: readonly { name: string; url: string }[];
}): Upstream[] {
  return [
    { name: "openai", protocol: "openai", baseUrl: config.proxyOpenaiUrl, mount: "/v1" },
    { name: "anthropic", protocol: "anthropic", baseUrl: config.proxyAnthropicUrl, mount: "/anthropic" },
    ...config.proxyUpstreams.map((upstream): Upstream => ({ name: upstream.name, protocol: "openai", baseUrl: upstream.url, mount: `/upstreams/${upstream.name}` })),
  ];
}

/**
 * Finds the upstream serving a path, or null when the path is not the proxy's. O(upstreams)
 * prefix checks, a handful.
 */
export class UpstreamRouter {
  constructor(private readonly upstreams: readonly Upstream[]) {}

  /** Whether a request URL's path belongs to the proxy: a few prefix comparisons, no copy, cheap enough for every request. */
  ownsUrl(url: string): boolean {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    if (pathStart < 0) return false;
    for (const upstream of this.upstreams) {
      if (!url.startsWith(upstream.mount, pathStart)) continue;
      const next = url.charCodeAt(pathStart + upstream.mount.length);
      // "/", "?" or the end: /v1 and /v1/..., never /v1beta.
      if (next === 47 || next === 63 || Number.isNaN(next)) return true;
    }
    return false;
  }

  route(method: string, url: string): Route | null {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const path = queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart);
    const query = queryStart < 0 ? "" : url.slice(queryStart);
    for (const upstream of this.upstreams) {
      if (!path.startsWith(upstream.mount)) continue;
      if (path.length !== upstream.mount.length && path.charCodeAt(upstream.mount.length) !== 47) continue;
      const rest = path.slice(upstream.mount.length + 1);
      const endpoint = method === "POST" ? (CACHEABLE[upstream.protocol].get(rest) ?? null) : null;
      return { upstream, rest, query, endpoint };
    }
    return null;
  }
}

/** The upstream URL of a routed request. */
export function upstreamUrl(route: Route): string {
  return `${route.upstream.baseUrl}/${route.rest}${route.query}`;
}

/**
 * An error answered by the sidecar itself, shaped like the upstream's own errors so the
 * SDKs raise their usual exception with the message:
 * OpenAI `{"error": {message, type, param, code}}`, Anthropic `{"type": "error", "error": {type, message}}`.
 */
export function errorBody(protocol: Protocol, status: number, code: string, message: string): string {
  if (protocol === "anthropic") return JSON.stringify({ type: "error", error: { type: anthropicErrorType(status), message } });
  return JSON.stringify({ error: { message, type: openaiErrorType(status), param: null, code } });
}

function openaiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status < 500) return "invalid_request_error";
  return status === 504 ? "timeout_error" : "upstream_error";
}

function anthropicErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 413) return "request_too_large";
  if (status < 500) return "invalid_request_error";
  return status === 504 ? "timeout_error" : "api_error";
}
