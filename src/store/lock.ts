/**
 * Per-record locks (proper-lockfile): `<record>.lock` is a directory created with mkdir, refreshed
 * while held, and taken over once older than RECORD_LOCK_STALE_MS (its holder died). Every
 * read-modify-write of a record goes through one of these (upstream weakness 1).
 */
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { RECORD_LOCK_RETRY_MAX_MS, RECORD_LOCK_RETRY_MIN_MS, RECORD_LOCK_STALE_MS, RECORD_LOCK_WAIT_MS } from '../config/defaults.js';
import { CaptainError, describeError } from '../errors.js';
import { assertNoSymlinkOnWritePath } from './regular-file.js';

/** What the callback of {@link withRecordLock} may use to check, before writing, that it still holds the lock. */
export interface RecordLockHandle {
  /** The lock file (`<record>.lock`). */
  readonly lockPath: string;
  /** Throws LOCK_TIMEOUT when the lock was lost while held (another process may have taken it over). */
  assertHeld(): void;
}

export interface RecordLockOptions {
  /** How long to wait for a held lock before giving up. @default RECORD_LOCK_WAIT_MS */
  waitMs?: number;
  /** Age at which a lock nobody refreshes is taken over (proper-lockfile enforces ≥ 2000). @default RECORD_LOCK_STALE_MS */
  staleMs?: number;
}

/** The lock file that guards `recordPath`. */
export const recordLockPath = (recordPath: string): string => `${recordPath}.lock`;

const lockOptions = (recordPath: string, staleMs: number, onCompromised: (error: Error) => void): lockfile.LockOptions => ({
  lockfilePath: recordLockPath(recordPath),
  realpath: false,
  stale: staleMs,
  retries: 0,
  onCompromised,
});

const isHeldElsewhere = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ELOCKED';

const lockFailed = (recordPath: string, error: unknown): CaptainError =>
  new CaptainError('IO', `${recordPath}: could not create the lock ${basename(recordLockPath(recordPath))} (${describeError(error)})`, {
    cause: error,
    data: { path: recordPath },
  });

const compromised = (recordPath: string, error: Error): CaptainError =>
  new CaptainError(
    'LOCK_TIMEOUT',
    `${recordPath}: the record lock was lost while held (${error.message}); another writer may have taken it over, so retry the command`,
    { cause: error, data: { path: recordPath, reason: 'compromised' } },
  );

/** Backoff before attempt `attempt + 1`: grows from the minimum, randomized so waiters do not march in step. */
const backoffMs = (attempt: number): number => {
  const ceiling = Math.min(RECORD_LOCK_RETRY_MAX_MS, RECORD_LOCK_RETRY_MIN_MS * 2 ** Math.min(attempt, 5));
  return RECORD_LOCK_RETRY_MIN_MS + Math.random() * (ceiling - RECORD_LOCK_RETRY_MIN_MS);
};

/** Takes the lock, retrying with backoff until `waitMs` has passed. Returns the release function. */
const acquire = async (
  recordPath: string,
  { waitMs, staleMs }: Required<RecordLockOptions>,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> => {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await lockfile.lock(recordPath, lockOptions(recordPath, staleMs, onCompromised));
    } catch (error) {
      if (!isHeldElsewhere(error)) throw lockFailed(recordPath, error);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new CaptainError(
          'LOCK_TIMEOUT',
          `${recordPath}: another captain process has held the record lock for over ${waitMs} ms; wait for it to finish and retry, ` +
            `or, if no captain process is running, remove ${recordLockPath(recordPath)} (it is taken over by itself after ${staleMs} ms without refresh)`,
          { cause: error, data: { path: recordPath, lockPath: recordLockPath(recordPath), waitMs } },
        );
      }
      await sleep(Math.min(remaining, backoffMs(attempt)));
    }
  }
};

/**
 * Runs `fn` while holding the lock of the record at `recordPath`, waiting for another holder up to
 * `opts.waitMs` (default RECORD_LOCK_WAIT_MS). The lock is released whatever `fn` does.
 * @throws CaptainError LOCK_TIMEOUT when the wait runs out, or when the lock was lost while `fn` ran
 *   (proper-lockfile's "compromised"; reported here instead of crashing the process).
 */
export const withRecordLock = async <T>(
  recordPath: string,
  fn: (lock: RecordLockHandle) => T | Promise<T>,
  opts: RecordLockOptions = {},
): Promise<T> => {
  assertNoSymlinkOnWritePath(recordPath);
  let lost: CaptainError | undefined;
  const settings = { waitMs: opts.waitMs ?? RECORD_LOCK_WAIT_MS, staleMs: opts.staleMs ?? RECORD_LOCK_STALE_MS };
  const release = await acquire(recordPath, settings, (error) => {
    lost ??= compromised(recordPath, error);
  });
  const handle: RecordLockHandle = {
    lockPath: recordLockPath(recordPath),
    assertHeld: () => {
      if (lost !== undefined) throw lost;
    },
  };
  let value: T;
  try {
    value = await fn(handle);
  } finally {
    // A compromised lock is already released (and may belong to someone else now): leave it alone.
    if (lost === undefined) await release().catch(() => undefined);
  }
  handle.assertHeld();
  return value;
};

/**
 * Runs `fn` under the record lock only if the lock is free right now; never waits. A record that
 * somebody else holds gives `{locked: false}` (the status view then reads it as-is).
 * @throws CaptainError IO when the lock cannot be created for another reason (e.g. a missing folder).
 */
export const tryWithRecordLockSync = <T>(
  recordPath: string,
  fn: () => T,
  opts: Pick<RecordLockOptions, 'staleMs'> = {},
): { locked: true; value: T } | { locked: false } => {
  assertNoSymlinkOnWritePath(recordPath);
  let release: () => void;
  try {
    // A synchronous holder cannot be refreshed while `fn` runs, so compromise cannot be observed here.
    release = lockfile.lockSync(recordPath, lockOptions(recordPath, opts.staleMs ?? RECORD_LOCK_STALE_MS, () => undefined));
  } catch (error) {
    if (isHeldElsewhere(error)) return { locked: false };
    throw lockFailed(recordPath, error);
  }
  try {
    return { locked: true, value: fn() };
  } finally {
    try {
      release();
    } catch {
      // Released already (taken over as stale): nothing left to undo.
    }
  }
};
