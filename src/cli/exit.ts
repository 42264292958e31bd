/** Exit codes and the one place errors become messages and codes. */
import { CaptainError, describeError, isCaptainError } from '../errors.js';

export const EXIT = { ok: 0, error: 1, usage: 2, workersFailed: 3, timeout: 4 } as const;

const HINTS: Partial<Record<CaptainError['code'], string>> = {
  RUN_NOT_FOUND: 'check --run-dir (a run directory holds run.json), or list runs with `captain runs`',
  LOCK_TIMEOUT: 'another captain process holds the record; retry, or remove the stale .lock directory if no captain is running',
  PATH_OUTSIDE_RUN: 'pass --allow-outside-paths if the record is trusted',
  INVALID_CONFIG: 'fix the value, or drop it to use the default (see `captain --help`)',
};

/** Prints the error and returns the exit code to use. */
export const reportError = (error: unknown, stderr: NodeJS.WritableStream = process.stderr): number => {
  if (isCaptainError(error)) {
    const hint = HINTS[error.code];
    stderr.write(`captain: ${error.message}\n${hint ? `hint: ${hint}\n` : ''}`);
    return error.code === 'USAGE' ? EXIT.usage : EXIT.error;
  }
  stderr.write(`captain: ${describeError(error)}\n`);
  return EXIT.error;
};
