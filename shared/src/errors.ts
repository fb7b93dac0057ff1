/**
 * Every error the product raises is declared here, once, so the client, the
 * server and the CLI agree on codes and a request never fails with a bare string.
 */
export const ErrorCode = {
  /** The request named a model/datasource/storage root that does not exist. */
  NotFound: 'SLAYER_NOT_FOUND',
  /** User input (a query, a formula, JSON) could not be parsed or is invalid. */
  InvalidInput: 'SLAYER_INVALID_INPUT',
  /** A storage root or file could not be read. */
  StorageUnreadable: 'SLAYER_STORAGE_UNREADABLE',
  /** The request is valid but the feature is not available for this input. */
  Unsupported: 'SLAYER_UNSUPPORTED',
  /** The operation was cancelled by the client. */
  Cancelled: 'SLAYER_CANCELLED',
  /** A bug: something that should not happen did. */
  Internal: 'SLAYER_INTERNAL',
  /** The database rejected or failed a query (its message, credentials redacted). */
  DatabaseError: 'SLAYER_DATABASE_ERROR',
  /** The database could not be opened or reached (bad path, host, port or credentials). */
  ConnectionFailed: 'SLAYER_CONNECTION_FAILED',
  /** The datasource's type has no driver here (only sqlite, duckdb and postgres run queries). */
  UnsupportedDatasource: 'SLAYER_UNSUPPORTED_DATASOURCE',
  /** A model file cannot be patched safely: not one YAML mapping, or the edit would reach beyond the cache keys. */
  UnpatchableYaml: 'SLAYER_UNPATCHABLE_YAML',
  /** A write was refused because the stored model changed since it was read (revision mismatch). */
  Conflict: 'SLAYER_CONFLICT',
  /** Another writer held the storage lock for longer than the bounded wait. */
  StorageBusy: 'SLAYER_STORAGE_BUSY',
  /** Writing to the storage failed (disk full, permissions, a lost lock). */
  StorageWriteFailed: 'SLAYER_STORAGE_WRITE_FAILED',
  /** The workspace is not trusted (VS Code's Restricted Mode): no database is reached and no file written. */
  Restricted: 'SLAYER_RESTRICTED',
  /** A query ran past `slayer.query.timeLimitSeconds` and was stopped in the database. */
  TimedOut: 'SLAYER_TIMED_OUT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** JSON-RPC error codes for custom requests, in the range reserved for servers. */
export const RpcErrorCode: Record<ErrorCode, number> = {
  SLAYER_NOT_FOUND: -32001,
  SLAYER_INVALID_INPUT: -32002,
  SLAYER_STORAGE_UNREADABLE: -32003,
  SLAYER_UNSUPPORTED: -32004,
  SLAYER_CANCELLED: -32800,
  SLAYER_INTERNAL: -32603,
  SLAYER_DATABASE_ERROR: -32005,
  SLAYER_CONNECTION_FAILED: -32006,
  SLAYER_UNSUPPORTED_DATASOURCE: -32007,
  SLAYER_UNPATCHABLE_YAML: -32008,
  SLAYER_CONFLICT: -32009,
  SLAYER_STORAGE_BUSY: -32010,
  SLAYER_STORAGE_WRITE_FAILED: -32011,
  SLAYER_RESTRICTED: -32012,
  SLAYER_TIMED_OUT: -32013,
};

export interface SlayerErrorData {
  code: ErrorCode;
  /** Closest valid name, when the error is about an unknown name. */
  suggestion?: string;
}

export class SlayerError extends Error {
  readonly code: ErrorCode;
  readonly suggestion: string | undefined;

  constructor(code: ErrorCode, message: string, options: { suggestion?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SlayerError';
    this.code = code;
    this.suggestion = options.suggestion;
  }

  toData(): SlayerErrorData {
    return this.suggestion === undefined ? { code: this.code } : { code: this.code, suggestion: this.suggestion };
  }
}

export function isSlayerError(value: unknown): value is SlayerError {
  return value instanceof SlayerError;
}

/** Turns anything thrown into a SlayerError without losing the original message. */
export function toSlayerError(value: unknown): SlayerError {
  if (value instanceof SlayerError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new SlayerError(ErrorCode.Internal, message, { cause: value });
}
