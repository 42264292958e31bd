/**
 * Is the worker (and, for captain's own launches, its monitor) still running? Decided from the
 * identity recorded at launch, never by forking a process, and a reused pid reads as dead.
 * The record fields are read through the zod boundary schema (lenient, like upstream).
 */
import { isPidAlive, verifyProcessIdentity, type ProcessIdentity, type ProcStatReader } from '../process/identity.js';
import { readProcStat } from '../process/proc-stat.js';
import { readWorkerProcessFields, type ProcessIdentityView } from '../store/schemas.js';
import { getKey, isFloatLiteral, type JsonObject } from '../util/json.js';

export type Liveness = 'alive' | 'dead' | 'unknown';

/** A complete recorded identity, or null when absent or missing a field. */
const completeIdentity = (view: ProcessIdentityView | undefined): ProcessIdentity | null => {
  if (view === undefined) return null;
  const { pid, pgid, start_ticks, boot_id, started_at } = view;
  if (pid === undefined || pgid === undefined || start_ticks === undefined || boot_id === undefined || started_at === undefined) return null;
  return { pid, pgid, start_ticks, boot_id, started_at };
};

/** The worker process as the record describes it: pid, group, and what proves its identity. */
export interface WorkerProcessRef {
  pid: number | null;
  pgid: number | null;
  identity: ProcessIdentity | null;
  processStartedAt: string | null;
  /** `process_last_seen_at`: when the worker was last known to run (proves its group after it exits). */
  lastSeenAliveAt: string | null;
}

const nonZero = (n: number | undefined): number | null => (n === undefined || n === 0 ? null : n);

export const workerProcessRef = (delegation: JsonObject): WorkerProcessRef => {
  const lifecycle = readWorkerProcessFields(delegation);
  const identity = completeIdentity(lifecycle?.process_identity);
  // `process_id: 4242.0` is an f64 to the seed's `as_u64`: no pid.
  const processId = isFloatLiteral(getKey(delegation, 'worker_lifecycle'), 'process_id') ? undefined : lifecycle?.process_id;
  return {
    pid: nonZero(identity?.pid ?? processId),
    pgid: nonZero(identity?.pgid ?? lifecycle?.process_group_id),
    identity,
    processStartedAt: lifecycle?.process_started_at ?? null,
    lastSeenAliveAt: lifecycle?.process_last_seen_at ?? null,
  };
};

/**
 * `alive` when the recorded process runs; `dead` when it is gone or a zombie; `unknown` without a pid.
 * - Captain's launches (a recorded `process_identity`): a pid whose start ticks differ now belongs
 *   to another process and reads `dead` (pid reuse).
 * - Upstream records (only `process_id` / `process_started_at`): exactly upstream's `kill -0`
 *   answer, so captain never writes a verdict upstream would not reach. `runs` (see isPidAlive)
 *   may answer first for these. Whether such a process may
 *   be *signalled* is decided separately, by `verifyProcessIdentity`'s one-sided start-time rule.
 */
export const processLiveness = (ref: WorkerProcessRef, read: ProcStatReader = readProcStat, runs?: (pid: number) => boolean): Liveness => {
  if (ref.pid === null) return 'unknown';
  if (ref.identity === null) return isPidAlive(ref.pid, read, runs) ? 'alive' : 'dead';
  const verdict = verifyProcessIdentity({ pid: ref.pid, identity: ref.identity, processStartedAt: ref.processStartedAt }, read);
  return verdict === 'alive' || verdict === 'unproven' ? 'alive' : 'dead';
};

/** The identity of captain's worker monitor the record holds (null: none, as in upstream records). */
export const monitorIdentityOf = (delegation: JsonObject): ProcessIdentity | null => completeIdentity(readWorkerProcessFields(delegation)?.monitor_identity);

/** The liveness of the monitor with this identity ('unknown' without one). */
export const monitorIdentityLiveness = (identity: ProcessIdentity | null, read: ProcStatReader = readProcStat): Liveness => {
  if (identity === null) return 'unknown';
  return verifyProcessIdentity({ pid: identity.pid, identity }, read) === 'alive' ? 'alive' : 'dead';
};

/** The liveness of captain's worker monitor for this delegation ('unknown' for upstream records). */
export const monitorLiveness = (delegation: JsonObject, read: ProcStatReader = readProcStat): Liveness => monitorIdentityLiveness(monitorIdentityOf(delegation), read);
