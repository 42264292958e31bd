/**
 * The refresh writer thread: durable writes of refreshed records, off the main thread. Status
 * observes and derives on the main thread; each record the refresh changes is written here (lock,
 * re-read, temp file, fsync, rename), so the ~1 ms a durable write costs on a journaling file
 * system overlaps the main thread's reading instead of adding to it. A record that changed on disk
 * since it was observed is not written: the main thread redoes it under the lock.
 */
import { parentPort } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { holdExitHandlers } from '../store/json-file.js';
import { updateJsonRecordSync } from '../store/update-record.js';
import type { JsonObject } from '../util/json.js';

export interface RefreshWrite {
  path: string;
  /** `JSON.stringify` of the record as it was read: the write happens only if the file still holds it. */
  fingerprint: string;
  /** The refreshed record to write. */
  record: JsonObject;
}

/** `written`; `busy`: another process holds the record (status reads it as observed, like the try-lock path); `changed`: the file no longer holds what was observed; `failed`: the write threw. */
export type RefreshWriteOutcome = { outcome: 'written' | 'busy' | 'changed' } | { outcome: 'failed'; reason: string };

/** The locked read-modify-write every record change goes through, writing only over what was observed. */
export const writeRefreshed = (write: RefreshWrite): RefreshWriteOutcome => {
  try {
    const update = updateJsonRecordSync(write.path, (current) => (JSON.stringify(current) === write.fingerprint ? write.record : undefined));
    if (!update.locked) return { outcome: 'busy' };
    return { outcome: update.written ? 'written' : 'changed' };
  } catch (error) {
    return { outcome: 'failed', reason: describeError(error) };
  }
};

// This thread only writes: keep the exit handlers standing for its whole life (see holdExitHandlers).
if (parentPort !== null) holdExitHandlers();

/** Messages: a batch `{id, writes}` in, `{id, outcomes}` out. */
parentPort?.on('message', ({ id, writes }: { id: number; writes: RefreshWrite[] }) => {
  parentPort?.postMessage({ id, outcomes: writes.map(writeRefreshed) });
});
