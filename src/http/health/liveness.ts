/**
 * The liveness answer, in one place for both routes that give it: the server's own /health
 * (answered before the application is loaded, see main.ts) and the app's documented route.
 * No imports: this module is part of what a sidecar evaluates before it listens.
 */
export function livenessBody(version: string, startedAt: number) {
  return { status: "ok" as const, version, uptime_seconds: Math.round((Date.now() - startedAt) / 10) / 100 };
}

/** GET /health as a plain handler: the same JSON (and content type) the app's route answers. */
export function livenessHandler(version: string, startedAt: number): () => Response {
  return () => Response.json(livenessBody(version, startedAt));
}
