/**
 * Locked read-modify-write of one JSON record: the only way captain changes a record that another
 * process may also change. The mutation sees the record as it is on disk under the lock, so no
 * update is lost, and it receives the whole object, so keys captain does not know survive.
 */
import { guardWrite, readJsonObjectSync, writeJsonAtomic, writeJsonAtomicSync } from './json-file.js';
import { tryWithRecordLockSync, withRecordLock, type RecordLockOptions } from './lock.js';
import type { JsonObject } from '../util/json.js';

/**
 * Turns the current record into the next one. Return `undefined` for "no change" (nothing is
 * written). Return the full object: keys left out are removed from the file.
 */
export type RecordMutation = (current: JsonObject) => JsonObject | undefined;

export interface RecordUpdate {
  /** The record as it now is on disk. */
  record: JsonObject;
  /** Whether the mutation changed it (and it was written). */
  written: boolean;
}

/**
 * Under the record lock: re-reads `path`, applies `mutate`, writes the result atomically.
 * @throws CaptainError PATH_OUTSIDE_RUN when `path` (after symlinks) leaves its run (see `guardWrite`),
 *   NOT_FOUND / INVALID_RECORD from the read, LOCK_TIMEOUT from the lock, IO from the write.
 */
export const updateJsonRecord = async (path: string, mutate: RecordMutation, opts: RecordLockOptions = {}): Promise<RecordUpdate> => {
  // Before the lock, so not even the lock directory is made outside the run.
  guardWrite(path);
  return withRecordLock(
    path,
    async (lock) => {
      const current = readJsonObjectSync(path);
      const next = mutate(current);
      if (next === undefined) return { record: current, written: false };
      lock.assertHeld();
      await writeJsonAtomic(path, next);
      return { record: next, written: true };
    },
    opts,
  );
};

/**
 * Synchronous variant that never waits: `{locked: false}` when another process holds the record.
 * @throws like {@link updateJsonRecord}, minus LOCK_TIMEOUT.
 */
export const updateJsonRecordSync = (
  path: string,
  mutate: RecordMutation,
  opts: Pick<RecordLockOptions, 'staleMs'> = {},
): ({ locked: true } & RecordUpdate) | { locked: false } => {
  guardWrite(path);
  const outcome = tryWithRecordLockSync(path, () => {
    const current = readJsonObjectSync(path);
    const next = mutate(current);
    if (next === undefined) return { record: current, written: false };
    writeJsonAtomicSync(path, next);
    return { record: next, written: true };
  }, opts);
  return outcome.locked ? { locked: true, ...outcome.value } : outcome;
};
