// Generated from the served OpenAPI document by `bun scripts/openapi-types.ts`; do not edit.
export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: 200 while the process serves */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness with the state of each cache tier
         * @description Stays 200 (`degraded`) while Redis is down, because the memory tier still serves.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cache/lookup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Look up a cached response
         * @description Answers from the memory tier, else Redis (a Redis hit is promoted). Sets `X-Cache: HIT|MISS|STALE`, `Cache-Status` (`ai-response-cache; hit`, `...; hit; collapsed`, `...; hit; stale` or `ai-response-cache; fwd=uri-miss`) and, on hits, `Age`. With `coalesce`, a miss is single-flighted across every sidecar on the same Redis: exactly one caller gets `lease` and calls the LLM; the others wait up to `wait_ms` and get its answer (`collapsed: true`), or `pending: true` when their wait ends first. With `max_stale_seconds`, an entry that far past its TTL (inside its stale window) answers, marked `stale: true`; with `coalesce` too, one such caller also gets the `lease` to refresh it.
         */
        post: operations["cacheLookup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cache/store": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Store a response
         * @description Writes the memory tier and Redis (compressed above the threshold). With Redis down the entry lives in memory only, and `tiers` says so. `tags` are recorded in a shared index so `POST /internal/cache/invalidate?tag=` removes every entry carrying one. When the effective cache mode does not write (CACHE_MODE or `cache_mode` read_only or off) nothing is stored: 200 with `stored: false`. With `lease_token` it is written only while that lease holds: 409 `lease_conflict` when it expired and was taken over, or the key was deleted or invalidated while it was out; 503 when the lease lives in a Redis that cannot be reached (retry).
         */
        post: operations["cacheStore"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cache/entries/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read one entry by key (URL-encode the key) */
        get: operations["getCacheEntry"];
        put?: never;
        post?: never;
        /**
         * Delete one entry from both tiers
         * @description Needs the invalidate scope (SCOPED_API_KEYS).
         */
        delete: operations["deleteCacheEntry"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cache/lease/release": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Give a lease up without storing
         * @description The LLM call failed (the next waiting caller takes the lease over at once), or with `cacheable: false` the answer may not be cached: later callers skip the wait for `hit_for_miss_seconds` instead of queueing behind leaders that never store.
         */
        post: operations["releaseLease"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/cache/lease/renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Extend a lease while the LLM call goes on */
        post: operations["renewLease"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/cache/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Cache status: Redis, memory tier and performance
         * @description Never fails: on an internal error it answers 200 with `error`.
         */
        get: operations["getCacheStatus"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/cache/invalidate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Invalidate cache entries matching a glob pattern, a tag or a namespace
         * @description Removes keys matching `{prefix}:*{pattern}*` from both tiers (SCAN + UNLINK on Redis). An empty pattern removes every cache key; keys outside the prefix are never touched. `tag=` removes the entries stored with that tag (read from the shared tag index, never a scan), on every sidecar; `namespace=` holds it to one namespace; `dry_run=true` counts what would go and removes nothing; `soft=true` marks entries stale instead of removing them. Needs the invalidate scope.
         */
        post: operations["invalidateCache"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/cache/invalidation-stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Invalidation frequency, patterns and efficiency
         * @description `{}` when statistics are unavailable.
         */
        get: operations["getInvalidationStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/cache/invalidation-recommendations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recommendations from the recorded invalidations */
        get: operations["getInvalidationRecommendations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/internal/cache/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Performance metrics over the retention window
         * @description Durations are in seconds and `cache_hit_rate` is a percentage. 500 when the monitor is unavailable; 503 when monitoring is disabled.
         */
        get: operations["getCachePerformanceMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dashboard/data": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * What the cache is doing and what it saved, as time series
         * @description The monitor's time slices over the retention window (hits by tier, hit rate, operations per second, lookup and store percentiles), memory tier and Redis state, the busiest operations, the proxy's endpoints and models, what the cache saved (calls, tokens, money at MODEL_PRICES), invalidations per minute, the alert level and recommendations. Holds nothing of its own: every figure comes from counters the sidecar already keeps.
         */
        get: operations["getDashboardData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics of this sidecar (label instance_id) */
        get: operations["getPrometheusMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        LookupRequest: {
            /** @description Entries of different namespaces never meet (A-Z a-z 0-9 _ . -, at most 64). A key bound to a namespace (SCOPED_API_KEYS) always lands in its own; naming another is refused with 403 */
            namespace?: string;
            /** @description What the LLM was asked to do, e.g. summarize (A-Z a-z 0-9 _ . -, at most 64) */
            operation: string;
            /** @description The input text; only its SHA-256 digest enters the key */
            text: string;
            /** @description Model options: a JSON object or null (anything else is refused with 422); canonicalised (sorted keys, types kept) before hashing */
            options?: unknown;
            /** @description Question for Q&A operations */
            question?: string | null;
            /**
             * @description Narrows what this request may do under CACHE_MODE, never widens it: read_only (look up, store nothing), write_only (always a miss, answers stored), off. The effective mode is the intersection with the operator's
             * @enum {string}
             */
            cache_mode?: "read_write" | "read_only" | "write_only" | "off";
            /** @description Accept an entry up to this many seconds past its TTL (inside its stale window): stale-while-revalidate, or stale-if-error after the LLM failed */
            max_stale_seconds?: number;
            /** @description Single flight across the fleet: on a miss one caller gets a lease to compute the answer; the others wait for it */
            coalesce?: {
                /** @description How long to wait for another caller's answer on a miss */
                wait_ms: number;
                /** @description How long the lease lives unless renewed or used (default CACHE_LEASE_TTL_MS) */
                lease_ttl_ms?: number;
            };
        };
        LookupHit: {
            /** @enum {boolean} */
            hit: true;
            /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
            key: string;
            /** @description The cached response, as stored */
            response: unknown;
            /** @enum {string} */
            tier: "memory" | "redis";
            /** @description Seconds since the entry was stored (null if unknown) */
            age_seconds: number | null;
            /** @description True when this caller waited for another caller's answer (coalesce) */
            collapsed?: boolean;
            /**
             * @description The entry is past its TTL (inside its stale window); only with max_stale_seconds
             * @enum {boolean}
             */
            stale?: true;
            /** @description On a stale hit with coalesce: this caller (and no other) refreshes the entry, storing with lease_token */
            lease?: {
                /** @description The token a coalesced lookup handed to the one caller that computes the answer */
                token: string;
                /** @description Milliseconds the lease lives unless renewed or used */
                ttl_ms: number;
            };
        };
        LookupMiss: {
            /** @enum {boolean} */
            hit: false;
            /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
            key: string;
            /** @description This caller computes the answer and stores it with lease_token; everyone else waits for it */
            lease?: {
                /** @description The token a coalesced lookup handed to the one caller that computes the answer */
                token: string;
                /** @description Milliseconds the lease lives unless renewed or used */
                ttl_ms: number;
            };
            /**
             * @description The wait ended while another caller still computes the answer
             * @enum {boolean}
             */
            pending?: true;
            /**
             * @description Present when the effective cache mode (write_only or off) does not read: the cache was not consulted
             * @enum {string}
             */
            mode?: "read_write" | "read_only" | "write_only" | "off";
        };
        StoreRequest: {
            /** @description Entries of different namespaces never meet (A-Z a-z 0-9 _ . -, at most 64). A key bound to a namespace (SCOPED_API_KEYS) always lands in its own; naming another is refused with 403 */
            namespace?: string;
            /** @description What the LLM was asked to do, e.g. summarize (A-Z a-z 0-9 _ . -, at most 64) */
            operation: string;
            /** @description The input text; only its SHA-256 digest enters the key */
            text: string;
            /** @description Model options: a JSON object or null (anything else is refused with 422); canonicalised (sorted keys, types kept) before hashing */
            options?: unknown;
            /** @description Question for Q&A operations */
            question?: string | null;
            /** @description Any JSON value: the LLM's answer to cache */
            response: (string | null) | (number | null) | (boolean | null) | (unknown[] | null) | ({
                [key: string]: unknown;
            } | null);
            /** @description Defaults to the operation's TTL */
            ttl_seconds?: number;
            /** @description Keep the entry this long past its TTL for callers that accept stale answers (default: the operation's stale window, CACHE_STALE_SECONDS) */
            stale_seconds?: number;
            /** @description Stores only while this lease holds (409 lease_conflict otherwise: it expired, was taken over, or the entry was deleted or invalidated meanwhile) */
            lease_token?: string;
            /** @description Names under which the entry can be invalidated together (POST /internal/cache/invalidate?tag=doc:42): at most 16, each 1 to 128 characters of A-Z a-z 0-9 _ . : / = @ + - */
            tags?: string[];
            /**
             * @description Narrows what this request may do under CACHE_MODE, never widens it: read_only (look up, store nothing), write_only (always a miss, answers stored), off. The effective mode is the intersection with the operator's
             * @enum {string}
             */
            cache_mode?: "read_write" | "read_only" | "write_only" | "off";
        };
        ReleaseLeaseRequest: {
            /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
            key: string;
            /** @description The token a coalesced lookup handed to the one caller that computes the answer */
            lease_token: string;
            /** @description false: the answer is not cacheable; later callers skip the wait for hit_for_miss_seconds (default true: the LLM call failed) */
            cacheable?: boolean;
            /** @description With cacheable false: how long callers go straight on (default CACHE_HIT_FOR_MISS_SECONDS) */
            hit_for_miss_seconds?: number;
        };
        RenewLeaseRequest: {
            /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
            key: string;
            /** @description The token a coalesced lookup handed to the one caller that computes the answer */
            lease_token: string;
            /** @description How long the lease lives unless renewed or used (default CACHE_LEASE_TTL_MS) */
            ttl_ms?: number;
        };
        CacheKeyGenerationStats: {
            total_operations: number;
            /** @description Mean (seconds) */
            avg_duration: number;
            /** @description Median, within 1% (seconds) */
            median_duration: number;
            /** @description 95th percentile, within 1% (seconds) */
            p95_duration: number;
            /** @description 99th percentile, within 1% (seconds) */
            p99_duration: number;
            /** @description Longest (seconds) */
            max_duration: number;
            /** @description Shortest (seconds) */
            min_duration: number;
            avg_text_length: number;
            max_text_length: number;
            /** @description Key generations slower than 0.1 s */
            slow_operations: number;
        };
        CacheOperationTypeStats: {
            count: number;
            /** @description Mean (seconds) */
            avg_duration: number;
            /** @description Longest (seconds) */
            max_duration: number;
            /** @description Median, within 1% (seconds) */
            median_duration: number;
            /** @description 95th percentile, within 1% (seconds) */
            p95_duration: number;
            /** @description 99th percentile, within 1% (seconds) */
            p99_duration: number;
        };
        CacheOperationStats: {
            total_operations: number;
            /** @description Mean (seconds) */
            avg_duration: number;
            /** @description Median, within 1% (seconds) */
            median_duration: number;
            /** @description 95th percentile, within 1% (seconds) */
            p95_duration: number;
            /** @description 99th percentile, within 1% (seconds) */
            p99_duration: number;
            /** @description Longest (seconds) */
            max_duration: number;
            /** @description Shortest (seconds) */
            min_duration: number;
            /** @description Operations slower than 0.05 s */
            slow_operations: number;
            by_operation_type: {
                [key: string]: components["schemas"]["CacheOperationTypeStats"];
            };
        };
        CompressionStats: {
            total_operations: number;
            /** @description compressed / original */
            avg_compression_ratio: number;
            median_compression_ratio: number;
            /** @description Smallest compressed / original */
            best_compression_ratio: number;
            worst_compression_ratio: number;
            /** @description Mean (seconds) */
            avg_compression_time: number;
            /** @description Longest (seconds) */
            max_compression_time: number;
            total_bytes_processed: number;
            total_bytes_saved: number;
            overall_savings_percent: number;
        };
        /** @description Empty object when statistics are unavailable */
        InvalidationStatsResponse: {
            no_invalidations?: boolean;
            total_invalidations?: number;
            total_keys_invalidated?: number;
            warning_threshold_per_hour?: number;
            critical_threshold_per_hour?: number;
            rates?: {
                last_hour: number;
                last_24_hours: number;
                average_per_hour: number;
            };
            thresholds?: {
                warning_per_hour: number;
                critical_per_hour: number;
                /** @enum {string} */
                current_alert_level: "normal" | "warning" | "critical";
            };
            patterns?: {
                most_common_patterns: {
                    [key: string]: number;
                };
                invalidation_types: {
                    [key: string]: number;
                };
            };
            efficiency?: {
                avg_keys_per_invalidation: number;
                /** @description Mean (seconds) */
                avg_duration: number;
                /** @description Longest (seconds) */
                max_duration: number;
            };
        };
    };
    responses: never;
    parameters: {
        /** @description Echoed on the answer and written in every log line of the request; generated when absent */
        RequestId: string;
        /** @description W3C Trace Context; copied into every log line of the request */
        Traceparent: string;
    };
    requestBodies: never;
    headers: {
        /**
         * @description The request's X-Request-Id, or one generated for it; every log line of the request carries it
         * @example 6f1c0e1e6a0f4c59
         */
        "X-Request-Id": string;
        /**
         * @description HIT: answered from the cache; MISS: nothing cached for this key; STALE: an entry past its TTL, for a caller that accepted stale answers
         * @example HIT
         */
        "X-Cache": "HIT" | "MISS" | "STALE";
        /**
         * @description RFC 9211: `ai-response-cache; hit` (`; collapsed` when the caller waited for another caller's answer, `; stale` past its TTL), or `ai-response-cache; fwd=uri-miss` when nothing was cached (the caller then asks the LLM)
         * @example ai-response-cache; hit
         */
        "Cache-Status": string;
        /**
         * @description Seconds since the entry was stored, on hits whose age is known (RFC 9111)
         * @example 3
         */
        Age: number;
        /**
         * @description The Bearer challenge
         * @example Bearer realm="ai-response-cache"
         */
        "WWW-Authenticate": string;
        /**
         * @description Seconds to wait before retrying
         * @example 1
         */
        "Retry-After": number;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getHealth: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process serves */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ok",
                     *       "version": "0.1.0",
                     *       "uptime_seconds": 3600.25
                     *     }
                     */
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                        version: string;
                        uptime_seconds: number;
                    };
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready, or degraded while the memory tier serves alone */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "tiers": {
                     *         "memory": {
                     *           "status": "up",
                     *           "entries": 412
                     *         },
                     *         "redis": {
                     *           "status": "connected",
                     *           "writes": "ok",
                     *           "coherence": "listening"
                     *         }
                     *       }
                     *     }
                     */
                    "application/json": {
                        /**
                         * @description degraded: Redis is configured but unreachable, refuses writes, or coherence is lost; the memory tier still serves
                         * @enum {string}
                         */
                        status: "ready" | "degraded";
                        tiers: {
                            memory: {
                                /** @enum {string} */
                                status: "up" | "disabled";
                                entries: number;
                            };
                            redis: {
                                /**
                                 * @description disabled: not configured (memory tier only); unavailable: unreachable, retrying; error: credentials or certificate refused, retrying
                                 * @enum {string}
                                 */
                                status: "disabled" | "connected" | "unavailable" | "error";
                                /**
                                 * @description failing: Redis refuses writes; new entries live in memory only
                                 * @enum {string}
                                 */
                                writes?: "ok" | "failing";
                                /**
                                 * @description lost: other sidecars' changes may be missed; memory copies live at most half the bound
                                 * @enum {string}
                                 */
                                coherence?: "listening" | "lost";
                            };
                        };
                    };
                };
            };
        };
    };
    cacheLookup: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "operation": "summarize",
                 *       "text": "RFC 9211 defines the Cache-Status HTTP response header field...",
                 *       "options": {
                 *         "max_length": 100
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["LookupRequest"];
            };
        };
        responses: {
            /** @description A hit with the cached response, or a miss with the key the response would be stored under */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-Cache": components["headers"]["X-Cache"];
                    "Cache-Status": components["headers"]["Cache-Status"];
                    Age: components["headers"]["Age"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "hit": true,
                     *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                     *       "response": {
                     *         "summary": "RFC 9211 defines the Cache-Status response header."
                     *       },
                     *       "tier": "memory",
                     *       "age_seconds": 3.2
                     *     }
                     */
                    "application/json": components["schemas"]["LookupHit"] | components["schemas"]["LookupMiss"];
                };
            };
            /** @description Malformed JSON, or JSON nested deeper than 128 levels */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "malformed_json",
                     *       "detail": "the request body is not valid JSON: JSON Parse error: Unexpected EOF"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A body or field over its limit; the detail names the limit */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "detail": "text is larger than CACHE_MAX_TEXT_BYTES (1048576 bytes)",
                     *       "field": "text"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A content type other than application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "detail": "content-type \"text/plain\" is not accepted: send application/json"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description Too many request bodies in flight (busy, with Retry-After), or nothing could store the value */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "busy",
                     *       "detail": "reading this body would take the request bodies held at once past MAX_INFLIGHT_BODY_BYTES (67108864 bytes); retry shortly"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    cacheStore: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "operation": "summarize",
                 *       "text": "RFC 9211 defines the Cache-Status HTTP response header field...",
                 *       "options": {
                 *         "max_length": 100
                 *       },
                 *       "response": {
                 *         "summary": "RFC 9211 defines the Cache-Status response header."
                 *       },
                 *       "ttl_seconds": 7200
                 *     }
                 */
                "application/json": components["schemas"]["StoreRequest"];
            };
        };
        responses: {
            /** @description Not stored: the effective cache mode does not write */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                     *       "stored": false,
                     *       "mode": "read_only",
                     *       "tiers": []
                     *     }
                     */
                    "application/json": {
                        /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
                        key: string;
                        /**
                         * @description Nothing was written: the effective cache mode does not write
                         * @enum {boolean}
                         */
                        stored: false;
                        /**
                         * @description Narrows what this request may do under CACHE_MODE, never widens it: read_only (look up, store nothing), write_only (always a miss, answers stored), off. The effective mode is the intersection with the operator's
                         * @enum {string}
                         */
                        mode: "read_write" | "read_only" | "write_only" | "off";
                        /** @description Empty: no tier was written */
                        tiers: ("memory" | "redis")[];
                    };
                };
            };
            /** @description Stored; `tiers` names where */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Status": components["headers"]["Cache-Status"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                     *       "ttl_seconds": 7200,
                     *       "stale_seconds": 0,
                     *       "compressed": false,
                     *       "codec": "none",
                     *       "stored_bytes": 62,
                     *       "tiers": [
                     *         "memory",
                     *         "redis"
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
                        key: string;
                        ttl_seconds: number;
                        /** @description How long the entry is kept past its TTL for callers that accept stale answers */
                        stale_seconds: number;
                        /** @description Whether the Redis copy is compressed */
                        compressed: boolean;
                        /** @description none | zstd | gzip */
                        codec: string;
                        /** @description Bytes of the stored value (in Redis, after compression) */
                        stored_bytes: number;
                        /** @description Tiers that now hold (or held) the entry */
                        tiers: ("memory" | "redis")[];
                    };
                };
            };
            /** @description Malformed JSON, or JSON nested deeper than 128 levels */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "malformed_json",
                     *       "detail": "the request body is not valid JSON: JSON Parse error: Unexpected EOF"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A store, release or renew under a lease that is no longer held: it expired and was taken over, was used, or the key was deleted or invalidated while it was out */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "lease_conflict",
                     *       "detail": "the lease expired, was taken over, or the entry was deleted or invalidated while it was out",
                     *       "field": "lease_token"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A body or field over its limit; the detail names the limit */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "detail": "text is larger than CACHE_MAX_TEXT_BYTES (1048576 bytes)",
                     *       "field": "text"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A content type other than application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "detail": "content-type \"text/plain\" is not accepted: send application/json"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description Too many request bodies in flight (`busy`, retry after Retry-After), or neither tier could store the value (`not_stored`) */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_stored",
                     *       "detail": "the memory tier is disabled and Redis is unavailable"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getCacheEntry: {
        parameters: {
            query?: {
                /** @description The key must belong to this namespace (422 otherwise); a namespace-bound API key is held to its own */
                namespace?: string;
            };
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The entry and its remaining lifetime */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Status": components["headers"]["Cache-Status"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                     *       "response": {
                     *         "summary": "RFC 9211 defines the Cache-Status response header."
                     *       },
                     *       "tier": "redis",
                     *       "ttl_seconds": 7196.8
                     *     }
                     */
                    "application/json": {
                        /** @description The cache key: {prefix}:[ns:{namespace}|]op:{operation}|txt:{digest}[|opts:{digest}][|q:{digest}] */
                        key: string;
                        response: unknown;
                        /** @enum {string} */
                        tier: "memory" | "redis";
                        /** @description Remaining lifetime (null: no expiry) */
                        ttl_seconds: number | null;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description No entry with this key */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Cache-Status": components["headers"]["Cache-Status"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "not_found",
                     *       "detail": "no cache entry with this key"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    deleteCacheEntry: {
        parameters: {
            query?: {
                /** @description The key must belong to this namespace (422 otherwise); a namespace-bound API key is held to its own */
                namespace?: string;
            };
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `complete: false` when Redis could not be reached, so its copy may remain */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "deleted": true,
                     *       "tiers": [
                     *         "memory",
                     *         "redis"
                     *       ],
                     *       "complete": true
                     *     }
                     */
                    "application/json": {
                        deleted: boolean;
                        /** @description Tiers that now hold (or held) the entry */
                        tiers: ("memory" | "redis")[];
                        /** @description False when Redis could not be reached, so its copy may remain */
                        complete: boolean;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    releaseLease: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                 *       "lease_token": "r3f9c1d2e4b5a6978812345678abcdef",
                 *       "cacheable": false,
                 *       "hit_for_miss_seconds": 60
                 *     }
                 */
                "application/json": components["schemas"]["ReleaseLeaseRequest"];
            };
        };
        responses: {
            /** @description Released */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "released": true
                     *     }
                     */
                    "application/json": {
                        /** @enum {boolean} */
                        released: true;
                    };
                };
            };
            /** @description Malformed JSON, or JSON nested deeper than 128 levels */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "malformed_json",
                     *       "detail": "the request body is not valid JSON: JSON Parse error: Unexpected EOF"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A store, release or renew under a lease that is no longer held: it expired and was taken over, was used, or the key was deleted or invalidated while it was out */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "lease_conflict",
                     *       "detail": "the lease expired, was taken over, or the entry was deleted or invalidated while it was out",
                     *       "field": "lease_token"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A body or field over its limit; the detail names the limit */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "detail": "text is larger than CACHE_MAX_TEXT_BYTES (1048576 bytes)",
                     *       "field": "text"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A content type other than application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "detail": "content-type \"text/plain\" is not accepted: send application/json"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description Too many request bodies in flight (busy, with Retry-After), or nothing could store the value */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "busy",
                     *       "detail": "reading this body would take the request bodies held at once past MAX_INFLIGHT_BODY_BYTES (67108864 bytes); retry shortly"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    renewLease: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "key": "ai_cache:op:summarize|txt:6c3e5b2f0d1a4e8f9b7c2d5a1e3f4b6c|opts:0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                 *       "lease_token": "r3f9c1d2e4b5a6978812345678abcdef",
                 *       "ttl_ms": 30000
                 *     }
                 */
                "application/json": components["schemas"]["RenewLeaseRequest"];
            };
        };
        responses: {
            /** @description Renewed for `ttl_ms` from now */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "renewed": true,
                     *       "ttl_ms": 30000
                     *     }
                     */
                    "application/json": {
                        /** @enum {boolean} */
                        renewed: true;
                        ttl_ms: number;
                    };
                };
            };
            /** @description Malformed JSON, or JSON nested deeper than 128 levels */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "malformed_json",
                     *       "detail": "the request body is not valid JSON: JSON Parse error: Unexpected EOF"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A store, release or renew under a lease that is no longer held: it expired and was taken over, was used, or the key was deleted or invalidated while it was out */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "lease_conflict",
                     *       "detail": "the lease expired, was taken over, or the entry was deleted or invalidated while it was out",
                     *       "field": "lease_token"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A body or field over its limit; the detail names the limit */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "payload_too_large",
                     *       "detail": "text is larger than CACHE_MAX_TEXT_BYTES (1048576 bytes)",
                     *       "field": "text"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A content type other than application/json */
            415: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unsupported_media_type",
                     *       "detail": "content-type \"text/plain\" is not accepted: send application/json"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description Too many request bodies in flight (busy, with Retry-After), or nothing could store the value */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "busy",
                     *       "detail": "reading this body would take the request bodies held at once past MAX_INFLIGHT_BODY_BYTES (67108864 bytes); retry shortly"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getCacheStatus: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Each tier's state and the hit rate */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "redis": {
                     *         "status": "connected",
                     *         "configured": true,
                     *         "state": "connected",
                     *         "url": "redis://***@redis:6379/0",
                     *         "keys": 1523,
                     *         "memory_used": "2.31M",
                     *         "memory_usage": "2.31M",
                     *         "memory_used_bytes": 2422208,
                     *         "connected_clients": 3,
                     *         "topology": "standalone"
                     *       },
                     *       "memory": {
                     *         "status": "normal",
                     *         "entries": 412,
                     *         "limit": 10000,
                     *         "bytes": 1843200,
                     *         "max_bytes": 67108864,
                     *         "utilization_percent": 4.12,
                     *         "bytes_utilization_percent": 2.75,
                     *         "evictions": 0
                     *       },
                     *       "performance": {
                     *         "status": "good",
                     *         "hit_rate": 71.4,
                     *         "total_operations": 1400,
                     *         "cache_hits": 1000,
                     *         "cache_misses": 400,
                     *         "redis_errors": 0
                     *       }
                     *     }
                     */
                    "application/json": {
                        redis: {
                            /**
                             * @description disabled: not configured (memory tier only); unavailable: unreachable, retrying; error: credentials or certificate refused, retrying
                             * @enum {string}
                             */
                            status: "disabled" | "connected" | "unavailable" | "error";
                            /** @description False when the service runs on its memory tier only (status disabled) */
                            configured: boolean;
                            /** @description Connection state: connecting, connected, unavailable, error, closed */
                            state?: string;
                            /** @description Redis URL with the password masked */
                            url?: string;
                            /** @description Keys in the Redis database (DBSIZE) */
                            keys?: number;
                            /** @description Redis used_memory_human */
                            memory_used?: string;
                            /** @description Same as memory_used, as in the documented example */
                            memory_usage?: string;
                            memory_used_bytes?: number;
                            connected_clients?: number;
                            last_error?: string | null;
                            /** @enum {string} */
                            topology?: "standalone" | "cluster" | "sentinel";
                            /** @description Every Redis node: the server, or each master and replica of a cluster */
                            nodes?: {
                                address: string;
                                /** @enum {string} */
                                role: "master" | "replica";
                                /** @enum {string} */
                                status: "connected" | "unavailable";
                                keys?: number;
                                memory_used_bytes?: number;
                                error?: string;
                            }[];
                            /**
                             * @description failing: Redis refuses writes (out of memory, read-only replica); new entries live in the memory tier only
                             * @enum {string}
                             */
                            writes?: "ok" | "failing";
                            /** @description Writes Redis refused or did not answer in time while connected */
                            write_failures?: number;
                            last_write_error?: string | null;
                            /** @description Pub/sub channel that keeps sidecars' memory tiers coherent */
                            coherence?: {
                                channel: string;
                                instance: string;
                                published: number;
                                received: number;
                                /**
                                 * @description lost: other sidecars' changes may be missed; memory copies then live at most CACHE_COHERENCE_BOUND_MS/2
                                 * @enum {string}
                                 */
                                state: "listening" | "lost";
                                /** @description Times the memory tier was emptied after coherence came back */
                                resyncs: number;
                                /** @description Announcements waiting for Redis to take them */
                                unsent: number;
                            };
                        };
                        memory: {
                            /** @enum {string} */
                            status: "normal" | "warning" | "critical" | "disabled" | "unavailable";
                            entries?: number;
                            /** @description Entry bound */
                            limit?: number;
                            bytes?: number;
                            /** @description Byte bound */
                            max_bytes?: number;
                            /** @description entries / limit */
                            utilization_percent?: number;
                            /** @description bytes / max_bytes */
                            bytes_utilization_percent?: number;
                            evictions?: number;
                        };
                        performance: {
                            /** @enum {string} */
                            status: "optimal" | "good" | "degraded" | "no_data" | "disabled" | "unavailable";
                            /** @description Percent over the retention window */
                            hit_rate?: number;
                            /** @description Lookups (hits + misses) over the window */
                            total_operations?: number;
                            cache_hits?: number;
                            cache_misses?: number;
                            /** @description Redis calls that failed since start */
                            redis_errors?: number;
                        };
                        error?: string;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    invalidateCache: {
        parameters: {
            query?: {
                /** @description Glob over cache keys, matched as {prefix}:*{pattern}*; empty = every cache key */
                pattern?: string;
                /** @description Who or what asked, for the invalidation log */
                operation_context?: string;
                /** @description Only entries stored with this tag (from the shared tag index: proportional to the tag's entries, never a scan); combined with pattern or namespace, only those of its entries that also match. Recorded in the statistics with type tag */
                tag?: string;
                /** @description Only entries of this namespace, matched as {prefix}:*ns:{namespace}|*{pattern}*. A namespace-bound API key is always held to its own. Recorded with type namespace */
                namespace?: string;
                /** @description true: count what would be removed (would_remove, per tier) and remove nothing; not recorded in the statistics */
                dry_run?: "true" | "false";
                /** @description true: mark matching entries stale instead of removing them; callers that accept stale answers (max_stale_seconds, max-stale, stale-if-error) keep being served until fresh answers replace them. Recorded with type {type}_soft */
                soft?: "true" | "false";
            };
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was removed from each tier */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "message": "Cache invalidated for pattern: op:summarize",
                     *       "keys_removed": 3,
                     *       "memory_keys_removed": 3,
                     *       "redis_keys_removed": 3,
                     *       "redis": "ok",
                     *       "duration_seconds": 0.0021
                     *     }
                     */
                    "application/json": {
                        message: string;
                        keys_removed: number;
                        memory_keys_removed: number;
                        redis_keys_removed: number;
                        /**
                         * @description unavailable: Redis could not be reached, so only the memory tier was invalidated
                         * @enum {string}
                         */
                        redis: "ok" | "unavailable" | "disabled";
                        /** @description How long the invalidation took (seconds) */
                        duration_seconds: number;
                        /** @description The tag invalidated, when one was given */
                        tag?: string;
                        /** @description The namespace the invalidation was held to, when any */
                        namespace?: string;
                        /**
                         * @description A dry run: nothing was removed; the *_removed counts are 0
                         * @enum {boolean}
                         */
                        dry_run?: true;
                        /** @description Dry run: the keys a real run would remove now (a key in both tiers counts once) */
                        would_remove?: number;
                        /** @description Dry run: memory-tier entries a real run would remove */
                        memory_would_remove?: number;
                        /** @description Dry run: Redis keys a real run would remove */
                        redis_would_remove?: number;
                        /**
                         * @description A soft purge: entries were marked stale, none removed; the *_removed counts are 0
                         * @enum {boolean}
                         */
                        soft?: true;
                        /** @description Soft purge: entries marked stale (a key in both tiers counts once) */
                        keys_marked_stale?: number;
                        memory_keys_marked_stale?: number;
                        redis_keys_marked_stale?: number;
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A field that breaks the schema; the value is never echoed */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "validation_error",
                     *       "detail": "field 'operation': Expected string to match '^[A-Za-z0-9_.-]{1,64}$'",
                     *       "field": "operation"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getInvalidationStats: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Frequency, patterns and efficiency of the recorded invalidations */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "total_invalidations": 1,
                     *       "total_keys_invalidated": 3,
                     *       "rates": {
                     *         "last_hour": 1,
                     *         "last_24_hours": 1,
                     *         "average_per_hour": 1
                     *       },
                     *       "thresholds": {
                     *         "warning_per_hour": 50,
                     *         "critical_per_hour": 100,
                     *         "current_alert_level": "normal"
                     *       },
                     *       "patterns": {
                     *         "most_common_patterns": {
                     *           "op:summarize": 1
                     *         },
                     *         "invalidation_types": {
                     *           "manual": 1
                     *         }
                     *       },
                     *       "efficiency": {
                     *         "avg_keys_per_invalidation": 3,
                     *         "avg_duration": 0.0021,
                     *         "max_duration": 0.0021
                     *       }
                     *     }
                     */
                    "application/json": {
                        no_invalidations?: boolean;
                        total_invalidations?: number;
                        total_keys_invalidated?: number;
                        warning_threshold_per_hour?: number;
                        critical_threshold_per_hour?: number;
                        rates?: {
                            last_hour: number;
                            last_24_hours: number;
                            average_per_hour: number;
                        };
                        thresholds?: {
                            warning_per_hour: number;
                            critical_per_hour: number;
                            /** @enum {string} */
                            current_alert_level: "normal" | "warning" | "critical";
                        };
                        patterns?: {
                            most_common_patterns: {
                                [key: string]: number;
                            };
                            invalidation_types: {
                                [key: string]: number;
                            };
                        };
                        efficiency?: {
                            avg_keys_per_invalidation: number;
                            /** @description Mean (seconds) */
                            avg_duration: number;
                            /** @description Longest (seconds) */
                            max_duration: number;
                        };
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getInvalidationRecommendations: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One sentence per finding, and the findings in detail */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "recommendations": [
                     *         "High invalidation frequency: 62 invalidations in the last hour (warning at 50, critical at 100)"
                     *       ],
                     *       "details": [
                     *         {
                     *           "severity": "warning",
                     *           "issue": "High invalidation frequency",
                     *           "message": "62 invalidations in the last hour (warning at 50, critical at 100)",
                     *           "suggestions": [
                     *             "Use more specific patterns instead of broad wildcards",
                     *             "Use longer TTLs where data changes rarely"
                     *           ]
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": {
                        /** @description One sentence per finding, as documented; empty on error */
                        recommendations: string[];
                        /** @description The findings with severity and suggestions */
                        details?: {
                            /** @enum {string} */
                            severity: "info" | "warning" | "critical";
                            issue: string;
                            message: string;
                            suggestions: string[];
                        }[];
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getCachePerformanceMetrics: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hit rate, key generation, operations, compression, memory and invalidation statistics */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "timestamp": "2026-12-06T11:40:56.826Z",
                     *       "retention_hours": 1,
                     *       "cache_hit_rate": 50,
                     *       "total_cache_operations": 2,
                     *       "cache_hits": 1,
                     *       "cache_misses": 1,
                     *       "key_generation": {
                     *         "total_operations": 5,
                     *         "avg_duration": 0.00014,
                     *         "median_duration": 0.00004,
                     *         "p95_duration": 0.00031,
                     *         "p99_duration": 0.00031,
                     *         "max_duration": 0.00036,
                     *         "min_duration": 0.00001,
                     *         "avg_text_length": 2048,
                     *         "max_text_length": 4096,
                     *         "slow_operations": 0
                     *       },
                     *       "cache_operations": {
                     *         "total_operations": 6,
                     *         "avg_duration": 0.00014,
                     *         "median_duration": 0.00004,
                     *         "p95_duration": 0.00031,
                     *         "p99_duration": 0.00031,
                     *         "max_duration": 0.00036,
                     *         "min_duration": 0.00001,
                     *         "slow_operations": 0,
                     *         "by_operation_type": {
                     *           "get": {
                     *             "count": 2,
                     *             "avg_duration": 0.00007,
                     *             "max_duration": 0.00011,
                     *             "median_duration": 0.00004,
                     *             "p95_duration": 0.00004,
                     *             "p99_duration": 0.00004
                     *           }
                     *         }
                     *       },
                     *       "compression": {
                     *         "total_operations": 3,
                     *         "avg_compression_ratio": 0.31,
                     *         "median_compression_ratio": 0.3,
                     *         "best_compression_ratio": 0.22,
                     *         "worst_compression_ratio": 0.41,
                     *         "avg_compression_time": 0.00005,
                     *         "max_compression_time": 0.00009,
                     *         "total_bytes_processed": 6144,
                     *         "total_bytes_saved": 4239,
                     *         "overall_savings_percent": 69
                     *       },
                     *       "invalidation": {
                     *         "total_invalidations": 1,
                     *         "total_keys_invalidated": 3,
                     *         "rates": {
                     *           "last_hour": 1,
                     *           "last_24_hours": 1,
                     *           "average_per_hour": 1
                     *         },
                     *         "thresholds": {
                     *           "warning_per_hour": 50,
                     *           "critical_per_hour": 100,
                     *           "current_alert_level": "normal"
                     *         },
                     *         "patterns": {
                     *           "most_common_patterns": {
                     *             "op:summarize": 1
                     *           },
                     *           "invalidation_types": {
                     *             "manual": 1
                     *           }
                     *         },
                     *         "efficiency": {
                     *           "avg_keys_per_invalidation": 3,
                     *           "avg_duration": 0.0021,
                     *           "max_duration": 0.0021
                     *         }
                     *       }
                     *     }
                     */
                    "application/json": {
                        /** @description ISO 8601 */
                        timestamp: string;
                        retention_hours: number;
                        /** @description Percent: hits / (hits + misses) * 100, 0 with no lookups */
                        cache_hit_rate: number;
                        /** @description Lookups over the window */
                        total_cache_operations: number;
                        cache_hits: number;
                        cache_misses: number;
                        key_generation?: components["schemas"]["CacheKeyGenerationStats"];
                        cache_operations?: components["schemas"]["CacheOperationStats"];
                        compression?: components["schemas"]["CompressionStats"];
                        memory_usage?: {
                            [key: string]: unknown;
                        };
                        invalidation?: components["schemas"]["InvalidationStatsResponse"];
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description The monitor failed */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "metrics_unavailable",
                     *       "detail": "performance metrics could not be computed: monitor unavailable"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description Monitoring is disabled */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "monitoring_disabled",
                     *       "detail": "performance monitoring is disabled by configuration (MONITORING_ENABLED=false)"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getDashboardData: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Everything the dashboard shows */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "timestamp": "2026-12-06T12:00:00.000Z",
                     *       "instance_id": "summarizer-7d9f",
                     *       "version": "0.1.0",
                     *       "monitoring": true,
                     *       "window": {
                     *         "retention_hours": 1,
                     *         "slice_seconds": 60
                     *       },
                     *       "lookups": {
                     *         "memory_hits": 930,
                     *         "redis_hits": 70,
                     *         "misses": 400,
                     *         "hit_rate": 71.43
                     *       },
                     *       "series": {
                     *         "time": [
                     *           1796558280,
                     *           1796558340,
                     *           1796558400
                     *         ],
                     *         "memory_hits": [
                     *           310,
                     *           300,
                     *           320
                     *         ],
                     *         "redis_hits": [
                     *           20,
                     *           30,
                     *           20
                     *         ],
                     *         "misses": [
                     *           140,
                     *           130,
                     *           130
                     *         ],
                     *         "hit_rate": [
                     *           70.21,
                     *           71.74,
                     *           72.34
                     *         ],
                     *         "requests_per_second": [
                     *           9.5,
                     *           9.2,
                     *           9.4
                     *         ],
                     *         "lookup_p50": [
                     *           0.000021,
                     *           0.00002,
                     *           0.000022
                     *         ],
                     *         "lookup_p95": [
                     *           0.00031,
                     *           0.00029,
                     *           0.0003
                     *         ],
                     *         "lookup_p99": [
                     *           0.0011,
                     *           0.00098,
                     *           0.001
                     *         ],
                     *         "store_p50": [
                     *           0.00014,
                     *           0.00013,
                     *           0.00015
                     *         ],
                     *         "store_p95": [
                     *           0.00042,
                     *           0.0004,
                     *           0.00041
                     *         ],
                     *         "store_p99": [
                     *           0.0012,
                     *           null,
                     *           0.0011
                     *         ]
                     *       },
                     *       "memory": {
                     *         "status": "normal",
                     *         "entries": 412,
                     *         "limit": 10000,
                     *         "bytes": 1843200,
                     *         "max_bytes": 67108864,
                     *         "utilization_percent": 4.12,
                     *         "bytes_utilization_percent": 2.75,
                     *         "evictions": 0
                     *       },
                     *       "redis": {
                     *         "status": "connected",
                     *         "configured": true,
                     *         "state": "connected",
                     *         "url": "redis://***@redis:6379/0",
                     *         "keys": 1523,
                     *         "memory_used": "2.31M",
                     *         "memory_usage": "2.31M",
                     *         "memory_used_bytes": 2422208,
                     *         "connected_clients": 3,
                     *         "topology": "standalone"
                     *       },
                     *       "redis_errors": 0,
                     *       "operations": [
                     *         {
                     *           "operation": "openai.chat.completions",
                     *           "lookups": 1400,
                     *           "memory_hits": 930,
                     *           "redis_hits": 70,
                     *           "misses": 400,
                     *           "hit_rate": 71.43,
                     *           "stores": 400
                     *         }
                     *       ],
                     *       "proxy": {
                     *         "endpoints": [
                     *           {
                     *             "endpoint": "openai.chat.completions",
                     *             "requests": 1400,
                     *             "hits": 1000,
                     *             "misses": 400,
                     *             "bypass": 0,
                     *             "hit_rate": 71.43
                     *           }
                     *         ],
                     *         "models": [
                     *           {
                     *             "model": "gpt-4o-mini",
                     *             "requests": 1400,
                     *             "hits": 1000,
                     *             "hit_rate": 71.43
                     *           }
                     *         ],
                     *         "collapsed": 12,
                     *         "not_stored": 3
                     *       },
                     *       "savings": {
                     *         "upstream_calls_avoided": 1012,
                     *         "input_tokens": 412000,
                     *         "output_tokens": 96000,
                     *         "dollars": 0.1194,
                     *         "by_model": [
                     *           {
                     *             "model": "gpt-4o-mini",
                     *             "input_tokens": 412000,
                     *             "output_tokens": 96000,
                     *             "dollars": 0.1194
                     *           }
                     *         ]
                     *       },
                     *       "invalidations": {
                     *         "time": [
                     *           1796558340,
                     *           1796558400
                     *         ],
                     *         "count": [
                     *           0,
                     *           1
                     *         ],
                     *         "last_hour": 1,
                     *         "total": 1,
                     *         "alert_level": "normal",
                     *         "recommendations": []
                     *       }
                     *     }
                     */
                    "application/json": {
                        /** @description ISO 8601 */
                        timestamp: string;
                        instance_id: string;
                        version: string;
                        /** @description False when MONITORING_ENABLED=false: the series stay empty */
                        monitoring: boolean;
                        window: {
                            retention_hours: number;
                            /** @description Length of one slice: the retention window / 60 */
                            slice_seconds: number;
                        };
                        /** @description Lookups over the whole window, by the tier that answered */
                        lookups: {
                            /** @description Over the window */
                            memory_hits: number;
                            /** @description Over the window */
                            redis_hits: number;
                            /** @description Over the window */
                            misses: number;
                            /** @description Percent of lookups that hit; null without lookups */
                            hit_rate: number | null;
                        };
                        /** @description The monitor's time slices over its retention window (60 slices), as columns */
                        series: {
                            /** @description Start of the slice, seconds since the Unix epoch, one per slice, oldest first */
                            time: number[];
                            /** @description Lookups answered by the memory tier, one per slice, oldest first */
                            memory_hits: number[];
                            /** @description Lookups answered by Redis, one per slice, oldest first */
                            redis_hits: number[];
                            /** @description Lookups that found nothing, one per slice, oldest first */
                            misses: number[];
                            /** @description Percent of the slice's lookups that hit, one per slice, oldest first; null for a slice without any */
                            hit_rate: (number | null)[];
                            /** @description Cache operations of every kind (lookups, stores, deletes, invalidations) per second; the newest slice over its elapsed part, one per slice, oldest first */
                            requests_per_second: number[];
                            /** @description Median lookup duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            lookup_p50: (number | null)[];
                            /** @description 95th percentile lookup duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            lookup_p95: (number | null)[];
                            /** @description 99th percentile lookup duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            lookup_p99: (number | null)[];
                            /** @description Median store duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            store_p50: (number | null)[];
                            /** @description 95th percentile store duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            store_p95: (number | null)[];
                            /** @description 99th percentile store duration (seconds, within 1%), one per slice, oldest first; null for a slice without any */
                            store_p99: (number | null)[];
                        };
                        memory: {
                            /** @enum {string} */
                            status: "normal" | "warning" | "critical" | "disabled" | "unavailable";
                            entries?: number;
                            /** @description Entry bound */
                            limit?: number;
                            bytes?: number;
                            /** @description Byte bound */
                            max_bytes?: number;
                            /** @description entries / limit */
                            utilization_percent?: number;
                            /** @description bytes / max_bytes */
                            bytes_utilization_percent?: number;
                            evictions?: number;
                        };
                        redis: {
                            /**
                             * @description disabled: not configured (memory tier only); unavailable: unreachable, retrying; error: credentials or certificate refused, retrying
                             * @enum {string}
                             */
                            status: "disabled" | "connected" | "unavailable" | "error";
                            /** @description False when the service runs on its memory tier only (status disabled) */
                            configured: boolean;
                            /** @description Connection state: connecting, connected, unavailable, error, closed */
                            state?: string;
                            /** @description Redis URL with the password masked */
                            url?: string;
                            /** @description Keys in the Redis database (DBSIZE) */
                            keys?: number;
                            /** @description Redis used_memory_human */
                            memory_used?: string;
                            /** @description Same as memory_used, as in the documented example */
                            memory_usage?: string;
                            memory_used_bytes?: number;
                            connected_clients?: number;
                            last_error?: string | null;
                            /** @enum {string} */
                            topology?: "standalone" | "cluster" | "sentinel";
                            /** @description Every Redis node: the server, or each master and replica of a cluster */
                            nodes?: {
                                address: string;
                                /** @enum {string} */
                                role: "master" | "replica";
                                /** @enum {string} */
                                status: "connected" | "unavailable";
                                keys?: number;
                                memory_used_bytes?: number;
                                error?: string;
                            }[];
                            /**
                             * @description failing: Redis refuses writes (out of memory, read-only replica); new entries live in the memory tier only
                             * @enum {string}
                             */
                            writes?: "ok" | "failing";
                            /** @description Writes Redis refused or did not answer in time while connected */
                            write_failures?: number;
                            last_write_error?: string | null;
                            /** @description Pub/sub channel that keeps sidecars' memory tiers coherent */
                            coherence?: {
                                channel: string;
                                instance: string;
                                published: number;
                                received: number;
                                /**
                                 * @description lost: other sidecars' changes may be missed; memory copies then live at most CACHE_COHERENCE_BOUND_MS/2
                                 * @enum {string}
                                 */
                                state: "listening" | "lost";
                                /** @description Times the memory tier was emptied after coherence came back */
                                resyncs: number;
                                /** @description Announcements waiting for Redis to take them */
                                unsent: number;
                            };
                        };
                        /** @description Redis calls that failed since start */
                        redis_errors: number;
                        /** @description The 10 busiest operations (lookups plus stores) since start, busiest first */
                        operations: {
                            /** @description Operation name (summarize, openai.chat.completions...); names past the first 64 are counted as other */
                            operation: string;
                            /** @description Lookups since start */
                            lookups: number;
                            /** @description Lookups answered by the memory tier */
                            memory_hits: number;
                            /** @description Lookups answered by Redis */
                            redis_hits: number;
                            /** @description Lookups that found nothing */
                            misses: number;
                            /** @description Percent of lookups that hit; null without lookups */
                            hit_rate: number | null;
                            /** @description Stores since start */
                            stores: number;
                        }[];
                        /** @description The caching proxy's traffic since start; null when PROXY_ENABLED=false */
                        proxy: {
                            /** @description Busiest first */
                            endpoints: {
                                endpoint: string;
                                /** @description Requests since start */
                                requests: number;
                                /** @description Answered from the cache */
                                hits: number;
                                /** @description Sent upstream and eligible for storing */
                                misses: number;
                                /** @description Sent upstream without using the cache */
                                bypass: number;
                                /** @description Percent of lookups that hit; null without lookups */
                                hit_rate: number | null;
                            }[];
                            /** @description The 10 busiest, busiest first */
                            models: {
                                /** @description Model named by requests; past the first 64, other */
                                model: string;
                                /** @description Requests since start */
                                requests: number;
                                /** @description Answered from the cache */
                                hits: number;
                                /** @description Percent of lookups that hit; null without lookups */
                                hit_rate: number | null;
                            }[];
                            /** @description Requests that waited for an identical one in flight instead of calling the upstream */
                            collapsed: number;
                            /** @description Upstream answers not stored (errors, truncated, no-store...) */
                            not_stored: number;
                        } | null;
                        /** @description What the cache saved since start */
                        savings: {
                            /** @description Hits since start (each is a call the app did not make), plus lookups and proxy requests that waited for another caller's answer (leases) instead of calling */
                            upstream_calls_avoided: number;
                            /** @description Input tokens served from the cache since start (from the stored usage of proxy answers) */
                            input_tokens: number;
                            /** @description Output tokens served from the cache since start */
                            output_tokens: number;
                            /** @description Money saved at MODEL_PRICES; null when no price is set */
                            dollars: number | null;
                            /** @description Most tokens first */
                            by_model: {
                                model: string;
                                /** @description Input tokens the cache served instead of the upstream */
                                input_tokens: number;
                                /** @description Output tokens the cache served instead of the upstream */
                                output_tokens: number;
                                /** @description At the model's MODEL_PRICES price; null when the model has none */
                                dollars: number | null;
                            }[];
                        };
                        invalidations: {
                            /** @description Start of each minute of the last hour, seconds since the Unix epoch, oldest first */
                            time: number[];
                            /** @description Invalidations in each minute */
                            count: number[];
                            /** @description Invalidations in the last hour */
                            last_hour: number;
                            /** @description Invalidations since start */
                            total: number;
                            /** @enum {string} */
                            alert_level: "normal" | "warning" | "critical";
                            recommendations: {
                                /** @enum {string} */
                                severity: "info" | "warning" | "critical";
                                issue: string;
                                message: string;
                                suggestions: string[];
                            }[];
                        };
                    };
                };
            };
            /** @description No API key where one is required, or a key that is not valid */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "unauthorized",
                     *       "detail": "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
            /** @description A valid API key without the scope this route needs (SCOPED_API_KEYS), or a namespace-bound key reaching outside its namespace; `scope` names what is missing */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": "forbidden",
                     *       "detail": "this API key lacks the 'invalidate' scope",
                     *       "scope": "invalidate"
                     *     }
                     */
                    "application/json": {
                        /** @description Stable machine-readable code, e.g. validation_error */
                        error: string;
                        /** @description What was wrong, for a human */
                        detail: string;
                        /** @description The offending field, for validation errors */
                        field?: string;
                        /** @description 403 only: the scope the API key lacks (read, data, invalidate) */
                        scope?: string;
                    };
                };
            };
        };
    };
    getPrometheusMetrics: {
        parameters: {
            query?: never;
            header?: {
                /** @description Echoed on the answer and written in every log line of the request; generated when absent */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /** @description W3C Trace Context; copied into every log line of the request */
                traceparent?: components["parameters"]["Traceparent"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format 0.0.4 */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example # HELP ai_cache_hits_total Lookups answered from the cache.
                     *     # TYPE ai_cache_hits_total counter
                     *     ai_cache_hits_total{instance_id="app-7f9c"} 1000
                     */
                    "text/plain": string;
                };
            };
        };
    };
}
