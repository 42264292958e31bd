/**
 * What an observation of a running worker that changed nothing looked at (observeDelegation in
 * refresh.ts), kept so that a later pass can tell, without reading or parsing the record, that
 * looking again would change nothing either: the same record (the caller proves it unchanged,
 * e.g. the record cache's key), the raw events file reached the same way and unchanged (device,
 * inode, size, mtime, ctime) or still absent, the wrapper's exit record still absent, and the
 * processes whose liveness decided still judged the same. Observing depends on nothing else (not on
 * the time): the progress check compares the file's mtime and size with the record's.
 *
 * A witness is made only where observing stopped at one of these simple points: no raw events file
 * yet, or a regular file, no exit record, a live monitor or a live worker, and no progress.
 * Anything else (a symlinked raw events file, a dead worker, an exit record that is there but not
 * this worker's) is observed the long way every time.
 */
import { lstatSync } from 'node:fs';
import type { ProcessIdentity } from '../process/identity.js';
import { fileKey } from '../store/file-key.js';
import { lookAgain } from '../store/paths.js';
import { monitorIdentityLiveness, processLiveness, type Liveness, type WorkerProcessRef } from './liveness.js';
import type { ObservationPass } from './observation-pass.js';

export interface ObservationWitness {
  /** The raw events path as the record names it, and where it led (see lookAgain). */
  looked: string;
  raw: string;
  /** The raw events file's key (dev:ino:size:mtimeMs:ctimeMs); null: there was none. */
  file: string | null;
  /** The wrapper's exit record that was not there (captain's launches), or null (none to look for). */
  exit: string | null;
  /** The monitor's identity and its liveness then; null when there was no raw events file (nothing more was looked at). */
  monitor: { identity: ProcessIdentity | null; liveness: Liveness } | null;
  /** The worker whose liveness decided (alive), or null (a live monitor decided). */
  worker: WorkerProcessRef | null;
}

/** Whether there is nothing at `path` (not even a dangling symlink); false when unsure. */
export const isAbsent = (path: string): boolean => {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
};

/** Whether observing the (unchanged) record again would change nothing: see the module comment. */
export const witnessHolds = (runDir: string, witness: ObservationWitness, pass: ObservationPass): boolean => {
  const stat = lookAgain(runDir, witness.looked, witness.raw, pass.folders);
  if (stat === null) return false;
  if (witness.file === null) return stat === undefined;
  if (stat === undefined || !stat.isFile() || fileKey(stat) !== witness.file) return false;
  if (witness.exit !== null && !isAbsent(witness.exit)) return false;
  if (witness.monitor === null || monitorIdentityLiveness(witness.monitor.identity, pass.procStat) !== witness.monitor.liveness) return false;
  if (witness.monitor.liveness === 'alive') return true;
  return witness.worker !== null && processLiveness(witness.worker, pass.procStat, pass.runsProgram) === 'alive';
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';
const isNumberOrNull = (value: unknown): value is number | null => value === null || isNumber(value);

const decodeIdentity = (value: unknown): ProcessIdentity | null | undefined => {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const { pid, pgid, start_ticks: startTicks, boot_id: bootId, started_at: startedAt } = value;
  if (!isNumber(pid) || !isNumber(pgid) || !isNumber(startTicks) || typeof bootId !== 'string' || typeof startedAt !== 'string') return undefined;
  return { pid, pgid, start_ticks: startTicks, boot_id: bootId, started_at: startedAt };
};

const LIVENESS = new Set<unknown>(['alive', 'dead', 'unknown']);

/** A witness as `JSON.stringify` wrote it, or undefined when it is not one (then the record is observed). */
export const decodeWitness = (value: unknown): ObservationWitness | undefined => {
  if (!isRecord(value)) return undefined;
  const { looked, raw, file, exit, monitor, worker } = value;
  if (typeof looked !== 'string' || typeof raw !== 'string' || !isStringOrNull(file) || !isStringOrNull(exit)) return undefined;
  let decodedMonitor: ObservationWitness['monitor'] = null;
  if (monitor !== null) {
    if (!isRecord(monitor) || !LIVENESS.has(monitor.liveness)) return undefined;
    const identity = decodeIdentity(monitor.identity);
    if (identity === undefined) return undefined;
    decodedMonitor = { identity, liveness: monitor.liveness as Liveness };
  }
  let decodedWorker: WorkerProcessRef | null = null;
  if (worker !== null) {
    if (!isRecord(worker)) return undefined;
    const { pid, pgid, identity, processStartedAt, lastSeenAliveAt } = worker;
    const decodedIdentity = decodeIdentity(identity);
    if (!isNumberOrNull(pid) || !isNumberOrNull(pgid) || decodedIdentity === undefined || !isStringOrNull(processStartedAt) || !isStringOrNull(lastSeenAliveAt)) return undefined;
    decodedWorker = { pid, pgid, identity: decodedIdentity, processStartedAt, lastSeenAliveAt };
  }
  return { looked, raw, file, exit, monitor: decodedMonitor, worker: decodedWorker };
};
