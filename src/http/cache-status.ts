/** The cache's name in `Cache-Status` (RFC 9211), on the data plane and the proxy alike. */
export const CACHE_STATUS = "ai-response-cache";
/** Answered from the cache. */
export const CACHE_STATUS_HIT = `${CACHE_STATUS}; hit`;
/** Nothing cached for this key: the caller goes to the origin (the LLM) itself. */
export const CACHE_STATUS_MISS = `${CACHE_STATUS}; fwd=uri-miss`;
/** A response the caller fetched was stored. */
export const CACHE_STATUS_STORED = `${CACHE_STATUS}; stored`;
