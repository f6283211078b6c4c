/** The message of anything thrown, for logs and status answers. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** A request exceeds a configured size limit; the controller answers 413 naming the limit. */
export class LimitExceededError extends Error {
  constructor(
    readonly field: string,
    readonly limitName: string,
    readonly limitBytes: number,
  ) {
    super(`${field} is larger than ${limitName} (${limitBytes} bytes)`);
    this.name = "LimitExceededError";
  }
}

/** Client input the schema could not catch (a key of the wrong shape, a bad glob): 422. */
export class InvalidInputError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(detail);
    this.name = "InvalidInputError";
  }
}

/** No tier could take a value (memory tier off or too small, Redis down): 503. */
export class NotStoredError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "NotStoredError";
  }
}

/**
 * A store or release under a lease the caller no longer holds: it expired and another caller
 * took it, or a delete or invalidation of the key voided it while the caller worked: 409.
 */
export class LeaseConflictError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "LeaseConflictError";
  }
}

/** A Redis call that could not complete: the caller answers from the memory tier instead. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`redis unavailable: ${reason}`);
    this.name = "RedisUnavailableError";
  }
}

/** Redis answered, but refused the command (out of memory, read-only replica): no tier change, but worth reporting. */
export class RedisRefusedError extends RedisUnavailableError {
  constructor(reason: string) {
    super(reason);
    this.name = "RedisRefusedError";
  }
}
