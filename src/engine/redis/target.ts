/** Which Redis deployment the cache uses. Kept apart from the client so reading it loads no Redis code. */
export type TopologyTarget =
  | { readonly kind: "standalone"; readonly url: string }
  | { readonly kind: "cluster"; readonly urls: readonly string[] }
  | { readonly kind: "sentinel"; readonly master: string; readonly sentinels: readonly { host: string; port: number }[]; readonly password: string | null };

/** Where Redis is, without secrets: "disabled", a URL, "cluster via ..." or "sentinel master ... via ...". */
export function describeTarget(target: TopologyTarget | null): string {
  if (target === null) return "disabled";
  switch (target.kind) {
    case "standalone":
      return redactUrl(target.url);
    case "cluster":
      return `cluster via ${target.urls.map(redactUrl).join(",")}`;
    case "sentinel":
      return `sentinel master ${target.master} via ${target.sentinels.map(({ host, port }) => `${host}:${port}`).join(",")}`;
  }
}

/**
 * The URL with its credentials masked. A user name is kept beside a password (ACL users are
 * not secrets), but a lone one is masked: `redis://S3cr3t@host` is a password in that slot.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    else if (parsed.username) parsed.username = "***";
    return parsed.toString();
  } catch {
    return "(invalid)";
  }
}
