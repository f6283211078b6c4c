import { Elysia } from "elysia";
import type { authPlugin } from "../auth/plugin.ts";
import { ErrorResponse } from "../error-model.ts";
import { gzippedAsset, LIBRARY_CACHE } from "../static-asset.ts";
import { documented } from "../docs/operation.ts";
import { DASHBOARD_DATA_EXAMPLE, DashboardData } from "./model.ts";
import type { DashboardService } from "./service.ts";
// The page: markup, styles and script in one file, read as text at build time.
import pageSource from "./assets/page.html" with { type: "text" };
// uPlot 1.6.32 (MIT), its browser build and stylesheet, gzip -9 (scripts/vendor-uplot.ts).
import uplotScript from "./assets/uplot.iife.min.js.gz" with { type: "file" };
import uplotStyles from "./assets/uplot.min.css.gz" with { type: "file" };

export const DASHBOARD_PATH = "/dashboard";

// bun-types types every .html import as a bundle; imported `type: "text"` it is the file's text.
const PAGE = pageSource as unknown as string;

/**
 * Whatever the page loads comes from the sidecar; the policy makes the browser refuse anything
 * else, so the page works, and stays quiet, with no network beyond the pod.
 */
const PAGE_POLICY = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * /dashboard: one page embedded in the binary, its charting library, and the documented JSON it
 * reads (/dashboard/data). The page itself holds no data, so it is open. The data needs a key
 * whenever keys are configured: it names operations, models and spend, more than the reference's
 * optional-auth read endpoints show, and a refused read is how the page knows to ask for a key.
 */
export const dashboardController = (dashboard: DashboardService, auth: ReturnType<typeof authPlugin>) => {
  const page = gzippedAsset(() => Bun.gzipSync(new TextEncoder().encode(PAGE), { level: 9 }), {
    "content-type": "text/html; charset=utf-8",
    // Revalidated each time, so an upgraded sidecar serves its own page at once.
    "cache-control": "no-cache",
    "content-security-policy": PAGE_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  const script = gzippedAsset(() => Bun.file(uplotScript), { "content-type": "text/javascript; charset=utf-8", "cache-control": LIBRARY_CACHE });
  const styles = gzippedAsset(() => Bun.file(uplotStyles), { "content-type": "text/css; charset=utf-8", "cache-control": LIBRARY_CACHE });
  return new Elysia({ name: "dashboard" })
    .use(auth)
    .get(DASHBOARD_PATH, ({ request }) => page(request), { detail: { hide: true } })
    .get(`${DASHBOARD_PATH}/uplot.js`, ({ request }) => script(request), { detail: { hide: true } })
    .get(`${DASHBOARD_PATH}/uplot.css`, ({ request }) => styles(request), { detail: { hide: true } })
    .get(`${DASHBOARD_PATH}/data`, () => dashboard.data(), {
      auth: "required",
      scope: "read",
      response: { 200: DashboardData, 401: ErrorResponse, 403: ErrorResponse },
      detail: documented({
        operationId: "getDashboardData",
        tags: ["Dashboard"],
        summary: "What the cache is doing and what it saved, as time series",
        description:
          "The monitor's time slices over the retention window (hits by tier, hit rate, operations per second, lookup and store percentiles), memory tier and Redis state, the busiest operations, the proxy's endpoints and models, what the cache saved (calls, tokens, money at MODEL_PRICES), invalidations per minute, the alert level and recommendations. Holds nothing of its own: every figure comes from counters the sidecar already keeps.",
        responses: { 200: { description: "Everything the dashboard shows", example: DASHBOARD_DATA_EXAMPLE } },
      }),
    });
};
