/**
 * Per-record locks: `<record>.lock` is a directory created with mkdir (atomic: one creator wins),
 * holding an `owner` file that names the holder (pid, `/proc` start ticks, boot id, pid namespace,
 * a random token). Every read-modify-write of a record goes through one of these (upstream
 * weakness 1).
 *
 * A waiter that finds the lock held reads the owner: a holder that is gone (no such pid, a zombie,
 * or the pid now belongs to a process with other start ticks) is dead, and its lock is broken at
 * once instead of after a timeout. Breaking is itself serialized by a second mkdir lock,
 * `<record>.lock.break`: the one breaker holding it re-reads the owner, and only if it is still the
 * dead one removes the lock. As a dead holder cannot release and no other breaker can run, the
 * lock it removes is the dead one's, never a lock another waiter took meanwhile (two breakers
 * racing: one wins, the other finds a live owner or the break lock held, and waits).
 *
 * When the owner cannot be judged (no `owner` file yet — its creator died between the mkdir and
 * the write —, another boot or pid namespace, no `/proc`), the old rule applies: a lock whose
 * directory has not been touched for `staleMs` is taken over (holders touch it every `staleMs / 2`).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, rmdirSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RECORD_LOCK_OWNER_FILE,
  RECORD_LOCK_RETRY_MAX_MS,
  RECORD_LOCK_RETRY_MIN_MS,
  RECORD_LOCK_STALE_MS,
  RECORD_LOCK_WAIT_MS,
} from '../config/defaults.js';
import { CaptainError, describeError } from '../errors.js';
import { bootId, readProcStat } from '../process/proc-stat.js';

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
  /** Age at which a lock whose holder cannot be judged, and that nobody touches, is taken over. @default RECORD_LOCK_STALE_MS */
  staleMs?: number;
}

/** The lock file that guards `recordPath`. */
export const recordLockPath = (recordPath: string): string => `${recordPath}.lock`;

/** The lock that serializes breakers of `lockPath`. */
const breakLockPath = (lockPath: string): string => `${lockPath}.break`;

/** The holder named in a lock directory. */
interface LockOwner {
  pid: number;
  start_ticks: number | null;
  boot_id: string | null;
  pid_ns: string | null;
  token: string;
}

const pidNamespace = (): string | null => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
};

/** This process, as an owner file says it (the token differs per acquisition). */
let selfIdentity: Omit<LockOwner, 'token'> | undefined;
const self = (): Omit<LockOwner, 'token'> => {
  selfIdentity ??= {
    pid: process.pid,
    start_ticks: readProcStat(process.pid)?.startTicks ?? null,
    boot_id: bootId(),
    pid_ns: pidNamespace(),
  };
  return selfIdentity;
};

const ownerPath = (lockPath: string): string => join(lockPath, RECORD_LOCK_OWNER_FILE);

/** The owner file's holder; null when it is missing, half-written or not ours to understand. */
const readOwner = (lockPath: string): LockOwner | null => {
  try {
    const value = JSON.parse(readFileSync(ownerPath(lockPath), 'utf8')) as Partial<LockOwner> | null;
    if (value === null || typeof value !== 'object' || typeof value.pid !== 'number' || typeof value.token !== 'string') return null;
    return {
      pid: value.pid,
      start_ticks: typeof value.start_ticks === 'number' ? value.start_ticks : null,
      boot_id: typeof value.boot_id === 'string' ? value.boot_id : null,
      pid_ns: typeof value.pid_ns === 'string' ? value.pid_ns : null,
      token: value.token,
    };
  } catch {
    return null;
  }
};

/**
 * Whether `owner` is provably dead: it ran in this boot and pid namespace (so its pid means the
 * same here), we can read `/proc`, and its pid is gone, a zombie, or now another process (other
 * start ticks). False when that cannot be proven.
 */
const isProvablyDead = (owner: LockOwner): boolean => {
  const me = self();
  if (me.start_ticks === null || owner.start_ticks === null) return false; // no /proc
  if (owner.boot_id !== me.boot_id || owner.pid_ns !== me.pid_ns) return false;
  if (owner.pid === me.pid) return owner.start_ticks !== me.start_ticks;
  const stat = readProcStat(owner.pid);
  return stat === null || stat.state === 'Z' || stat.state === 'X' || stat.startTicks !== owner.start_ticks;
};

const errnoOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;

const lockFailed = (recordPath: string, error: unknown): CaptainError =>
  new CaptainError('IO', `${recordPath}: could not create the lock ${basename(recordLockPath(recordPath))} (${describeError(error)})`, {
    cause: error,
    data: { path: recordPath },
  });

const compromised = (recordPath: string, why: string): CaptainError =>
  new CaptainError(
    'LOCK_TIMEOUT',
    `${recordPath}: the record lock was lost while held (${why}); another writer may have taken it over, so retry the command`,
    { data: { path: recordPath, reason: 'compromised' } },
  );

/** Removes a lock directory (its owner file, then the directory); true when it is gone. */
const removeLockDir = (lockPath: string): boolean => {
  try {
    unlinkSync(ownerPath(lockPath));
  } catch {
    // no owner file (never written, or already removed)
  }
  try {
    rmdirSync(lockPath);
    return true;
  } catch (error) {
    return errnoOf(error) === 'ENOENT';
  }
};

const ageMs = (path: string): number | null => {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return null;
  }
};

/**
 * Breaks the lock at `lockPath` if it is still the one observed (`seen`: the dead owner's token,
 * or null for an owner-less stale lock), under the break lock. True when it was removed.
 */
const breakLock = (lockPath: string, seen: string | null, staleMs: number): boolean => {
  const breaker = breakLockPath(lockPath);
  try {
    mkdirSync(breaker);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') return false;
    // A breaker holds it for a few syscalls; one left behind by a breaker that died inside is
    // cleared once stale (the only window where two breakers could race: a double fault).
    const age = ageMs(breaker);
    if (age !== null && age > staleMs) {
      try {
        rmdirSync(breaker);
      } catch {
        // someone else cleared it
      }
    }
    return false;
  }
  try {
    const owner = readOwner(lockPath);
    if (seen !== null) {
      // Still the dead holder's lock? (Nobody else can have removed it: it cannot release, and
      // we are the only breaker.)
      if (owner === null || owner.token !== seen || !isProvablyDead(owner)) return false;
    } else {
      const age = ageMs(lockPath);
      if (owner !== null || age === null || age <= staleMs) return false;
    }
    return removeLockDir(lockPath);
  } finally {
    try {
      rmdirSync(breaker);
    } catch {
      // nothing to undo
    }
  }
};

/**
 * One attempt: the lock's token when taken, or null when another live (or unjudgeable, fresh)
 * holder has it. A dead holder's lock is broken and the attempt repeated at once.
 * @throws CaptainError IO when the lock cannot be created for another reason (e.g. a missing folder).
 */
const tryAcquire = (recordPath: string, staleMs: number): string | null => {
  const lockPath = recordLockPath(recordPath);
  for (let round = 0; round < 3; round += 1) {
    try {
      mkdirSync(lockPath);
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw lockFailed(recordPath, error);
      const owner = readOwner(lockPath);
      if (owner !== null) {
        if (!isProvablyDead(owner)) {
          const age = ageMs(lockPath);
          // An owner we cannot judge (other boot / namespace, no /proc) falls back to staleness.
          const unjudgeable = owner.start_ticks === null || owner.boot_id !== self().boot_id || owner.pid_ns !== self().pid_ns || self().start_ticks === null;
          if (!(unjudgeable && age !== null && age > staleMs && breakLock(lockPath, null, staleMs))) return null;
          continue;
        }
        if (!breakLock(lockPath, owner.token, staleMs)) return null;
        continue;
      }
      const age = ageMs(lockPath);
      if (age === null) continue; // released meanwhile: try again at once
      if (age <= staleMs || !breakLock(lockPath, null, staleMs)) return null;
      continue;
    }
    const token = randomBytes(12).toString('hex');
    try {
      const fd = openSync(ownerPath(lockPath), 'wx');
      try {
        writeSync(fd, JSON.stringify({ ...self(), token }));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      removeLockDir(lockPath);
      throw lockFailed(recordPath, error);
    }
    return token;
  }
  return null;
};

/** Whether the lock at `lockPath` is still ours (`token`). */
const stillHeld = (lockPath: string, token: string): boolean => readOwner(lockPath)?.token === token;

/** Releases our lock; leaves a lock that is no longer ours alone. */
const release = (lockPath: string, token: string): void => {
  if (stillHeld(lockPath, token)) removeLockDir(lockPath);
};

/** Backoff before attempt `attempt + 1`: grows from the minimum, randomized so waiters do not march in step. */
const backoffMs = (attempt: number): number => {
  const ceiling = Math.min(RECORD_LOCK_RETRY_MAX_MS, RECORD_LOCK_RETRY_MIN_MS * 2 ** Math.min(attempt, 5));
  return RECORD_LOCK_RETRY_MIN_MS + Math.random() * (ceiling - RECORD_LOCK_RETRY_MIN_MS);
};

/** Takes the lock, retrying with backoff until `waitMs` has passed. Returns its token. */
const acquire = async (recordPath: string, { waitMs, staleMs }: Required<RecordLockOptions>): Promise<string> => {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    const token = tryAcquire(recordPath, staleMs);
    if (token !== null) return token;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const owner = readOwner(recordLockPath(recordPath));
      throw new CaptainError(
        'LOCK_TIMEOUT',
        `${recordPath}: another captain process has held the record lock for over ${waitMs} ms` +
          `${owner === null ? '' : ` (pid ${owner.pid}, alive)`}; ` +
          `wait for it to finish and retry, or, if no captain process is running, remove ${recordLockPath(recordPath)}`,
        { data: { path: recordPath, lockPath: recordLockPath(recordPath), waitMs, holderPid: owner?.pid ?? null } },
      );
    }
    await sleep(Math.min(remaining, backoffMs(attempt)));
  }
};

/**
 * Runs `fn` while holding the lock of the record at `recordPath`, waiting for another holder up to
 * `opts.waitMs` (default RECORD_LOCK_WAIT_MS); a dead holder's lock is broken at once. The lock is
 * released whatever `fn` does.
 * @throws CaptainError LOCK_TIMEOUT when the wait runs out, or when the lock was lost while `fn` ran
 *   (someone removed it or took it over).
 */
export const withRecordLock = async <T>(
  recordPath: string,
  fn: (lock: RecordLockHandle) => T | Promise<T>,
  opts: RecordLockOptions = {},
): Promise<T> => {
  const settings = { waitMs: opts.waitMs ?? RECORD_LOCK_WAIT_MS, staleMs: opts.staleMs ?? RECORD_LOCK_STALE_MS };
  const lockPath = recordLockPath(recordPath);
  const token = await acquire(recordPath, settings);
  let lost: CaptainError | undefined;
  const check = (): void => {
    if (lost === undefined && !stillHeld(lockPath, token)) lost = compromised(recordPath, `${basename(lockPath)} no longer names this process`);
  };
  // Touch the lock while held, so a waiter that cannot judge this process does not take it over as stale.
  const refresh = setInterval(() => {
    check();
    if (lost === undefined) {
      try {
        const now = new Date();
        utimesSync(lockPath, now, now);
      } catch {
        // checked again before the next write
      }
    }
  }, Math.max(100, settings.staleMs / 2));
  refresh.unref();
  const handle: RecordLockHandle = {
    lockPath,
    assertHeld: () => {
      check();
      if (lost !== undefined) throw lost;
    },
  };
  let value: T;
  try {
    value = await fn(handle);
  } finally {
    clearInterval(refresh);
    // A lost lock may belong to someone else now: leave it alone.
    if (lost === undefined) release(lockPath, token);
  }
  if (lost !== undefined) throw lost;
  return value;
};

/**
 * Runs `fn` under the record lock only if the lock is free right now (or its holder is dead);
 * never waits. A record that somebody else holds gives `{locked: false}` (the status view then
 * reads it as-is).
 * @throws CaptainError IO when the lock cannot be created for another reason (e.g. a missing folder).
 */
export const tryWithRecordLockSync = <T>(
  recordPath: string,
  fn: () => T,
  opts: Pick<RecordLockOptions, 'staleMs'> = {},
): { locked: true; value: T } | { locked: false } => {
  const token = tryAcquire(recordPath, opts.staleMs ?? RECORD_LOCK_STALE_MS);
  if (token === null) return { locked: false };
  try {
    return { locked: true, value: fn() };
  } finally {
    release(recordLockPath(recordPath), token);
  }
};
