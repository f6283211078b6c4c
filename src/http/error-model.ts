import { Type, type Static } from "@sinclair/typebox";

/** Every error answer has this shape, whatever produced it. */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: "Stable machine-readable code, e.g. validation_error" }),
    detail: Type.String({ description: "What was wrong, for a human" }),
    field: Type.Optional(Type.String({ description: "The offending field, for validation errors" })),
    scope: Type.Optional(Type.String({ description: "403 only: the scope the API key lacks (read, data, invalidate)" })),
  },
  { $id: "ErrorResponse" },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export function errorBody(error: string, detail: string, field?: string): ErrorResponse {
  return field === undefined ? { error, detail } : { error, detail, field };
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const;

export function errorResponse(status: number, error: string, detail: string, field?: string, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(errorBody(error, detail, field)), {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}
