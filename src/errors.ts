/**
 * One error class for everything captain reports, told apart by a string code.
 * The CLI maps codes to exit codes in one place; the MCP server turns them into `isError` results.
 */
export type CaptainErrorCode =
  /** The run directory (or one of its records) does not exist. */
  | 'RUN_NOT_FOUND'
  /** A task card or delegation id that the run does not hold. */
  | 'NOT_FOUND'
  /** A runtime config value from some source is not what the key expects. */
  | 'INVALID_CONFIG'
  /** A record on disk cannot be read, parsed, or is not the shape expected. */
  | 'INVALID_RECORD'
  /** A path read from a record resolves outside the run directory. */
  | 'PATH_OUTSIDE_RUN'
  /** A record lock could not be taken in time. */
  | 'LOCK_TIMEOUT'
  /** A worker cannot be started: its cwd or program is missing, unusable or not executable. */
  | 'LAUNCH_FAILED'
  /** Wrong command-line or tool arguments. */
  | 'USAGE'
  /** git refused or stopped: not a repository, a dirty checkout, a merge with conflicts. */
  | 'GIT'
  /** An I/O or process failure that is not the user's input. */
  | 'IO';

const BRAND = Symbol.for('captain.CaptainError');

export class CaptainError extends Error {
  readonly code: CaptainErrorCode;
  readonly data: Record<string, unknown> | undefined;
  readonly [BRAND] = true;

  constructor(code: CaptainErrorCode, message: string, options: { cause?: unknown; data?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CaptainError';
    this.code = code;
    this.data = options.data;
  }
}

export const isCaptainError = (value: unknown): value is CaptainError =>
  typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;

/** A short reason string from anything thrown. */
export const describeError = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
