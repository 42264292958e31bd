/**
 * Is the worker (and, for captain's own launches, its monitor) still running? Decided from the
 * identity recorded at launch, never by forking a process, and a reused pid reads as dead.
 */
import { verifyProcessIdentity, type ProcessIdentity } from '../process/identity.js';
import { asString, asUnsigned, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';

export type Liveness = 'alive' | 'dead' | 'unknown';

/** A process identity as recorded, or null when absent or malformed. */
export const recordedIdentity = (value: Json | undefined): ProcessIdentity | null => {
  if (!isJsonObject(value)) return null;
  const pid = asUnsigned(getKey(value, 'pid'));
  const pgid = asUnsigned(getKey(value, 'pgid'));
  const startTicks = asUnsigned(getKey(value, 'start_ticks'));
  const bootId = asString(getKey(value, 'boot_id'));
  const startedAt = asString(getKey(value, 'started_at'));
  if (pid === undefined || pgid === undefined || startTicks === undefined || bootId === undefined || startedAt === undefined) return null;
  return { pid, pgid, start_ticks: startTicks, boot_id: bootId, started_at: startedAt };
};

/** The worker process as the record describes it: pid, group, and what proves its identity. */
export interface WorkerProcessRef {
  pid: number | null;
  pgid: number | null;
  identity: ProcessIdentity | null;
  processStartedAt: string | null;
}

export const workerProcessRef = (delegation: JsonObject): WorkerProcessRef => {
  const lifecycle = getKey(delegation, 'worker_lifecycle');
  const identity = recordedIdentity(getKey(lifecycle, 'process_identity'));
  const pid = identity?.pid ?? asUnsigned(getKey(lifecycle, 'process_id')) ?? null;
  const pgid = identity?.pgid ?? asUnsigned(getKey(lifecycle, 'process_group_id')) ?? null;
  return { pid: pid === 0 ? null : pid, pgid: pgid === 0 ? null : pgid, identity, processStartedAt: asString(getKey(lifecycle, 'process_started_at')) ?? null };
};

/**
 * `alive` when the recorded process runs (or runs and its identity cannot be checked: upstream's
 * `kill -0` answer); `dead` when it is gone, a zombie, or the pid now belongs to another process;
 * `unknown` without a pid.
 */
export const processLiveness = (ref: WorkerProcessRef): Liveness => {
  if (ref.pid === null) return 'unknown';
  const verdict = verifyProcessIdentity({ pid: ref.pid, identity: ref.identity, processStartedAt: ref.processStartedAt });
  return verdict === 'alive' || verdict === 'unproven' ? 'alive' : 'dead';
};

/** The liveness of captain's worker monitor for this delegation ('unknown' for upstream records). */
export const monitorLiveness = (delegation: JsonObject): Liveness => {
  const identity = recordedIdentity(getKey(getKey(delegation, 'worker_lifecycle'), 'monitor_identity'));
  if (identity === null) return 'unknown';
  return verifyProcessIdentity({ pid: identity.pid, identity }) === 'alive' ? 'alive' : 'dead';
};
