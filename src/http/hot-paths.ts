/**
 * The routes the server's own router answers ahead of the app, by path and method (createHttp
 * builds their handlers). A module without imports, so main.ts can name them to the server
 * before the app is loaded.
 */
export const HOT_ROUTES = { "/cache/lookup": ["POST"] } as const;

export type HotPath = keyof typeof HOT_ROUTES;
