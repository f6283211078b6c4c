import type { DocumentDecoration } from "elysia";

/** Response headers the document describes once (components.headers) and routes name. */
export type DocumentedHeader = "X-Cache" | "Cache-Status" | "Age" | "WWW-Authenticate" | "Retry-After";

export interface ResponseDoc {
  readonly description: string;
  /** An answer this route really gives (the document's lint checks it against the schema). */
  readonly example?: unknown;
  readonly headers?: readonly DocumentedHeader[];
  /** Only /metrics answers anything but JSON. */
  readonly contentType?: "text/plain";
}

export interface OperationDoc {
  /** camelCase, unique: generated clients name their methods after it. */
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly summary: string;
  readonly description?: string;
  /** A body this route accepts, shown in the docs UI's "Try it". */
  readonly requestExample?: unknown;
  /** Success answers; error answers are described from their status (see openapi.ts). */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
}

/** Where the route's documentation travels through the framework, to be read back by openapi.ts. */
export const OPERATION_DOC = "x-operation-doc";

/**
 * A route's `detail`: what the framework cannot infer from its schemas (examples, headers,
 * descriptions of each answer). Security is not here: the auth macro declares it where it
 * checks it.
 */
export function documented(doc: OperationDoc): DocumentDecoration {
  const detail: Record<string, unknown> = { operationId: doc.operationId, tags: [...doc.tags], summary: doc.summary, [OPERATION_DOC]: doc };
  if (doc.description !== undefined) detail.description = doc.description;
  return detail as DocumentDecoration;
}
