import type { RuntimeConfig } from '../config/defaults.js';
import { asInteger, asString, getKey, orNull, type Json, type JsonObject } from '../util/json.js';

/** A worker's entry in `reclaim_plan.targets`, or null when it needs no reclaim. */
export const reclaimTargetOf = (worker: Json): JsonObject | null => {
  const lifecycle = getKey(worker, 'worker_lifecycle');
  if (lifecycle === undefined || asString(getKey(lifecycle, 'reclaim_state')) !== 'reclaim_needed') return null;
  return {
    delegation_id: orNull(getKey(worker, 'delegation_id')),
    state: orNull(getKey(lifecycle, 'state')),
    process_id: orNull(getKey(lifecycle, 'process_id')),
    last_progress_at: orNull(getKey(lifecycle, 'last_progress_at')),
    elapsed_since_progress_ms: orNull(getKey(lifecycle, 'elapsed_since_progress_ms')),
    summary: orNull(getKey(lifecycle, 'summary')),
  };
};

/** The `reclaim_plan` payload's shape, over target entries of type `T`. */
export type ReclaimPlanPayload<T> = {
  worker_auto_reclaim_enabled: boolean;
  reclaim_needed_worker_count: number;
  targets: T[];
  summary: string;
};

/** The seed's `reclaim_plan` payload from its targets and the visibility payload's stale and timed-out counts. */
export const assembleReclaimPlanPayload = <T>(
  config: RuntimeConfig,
  targets: T[],
  counts: { stale: number; timedOut: number },
): ReclaimPlanPayload<T> => {
  const enabled = config.worker_auto_reclaim_enabled;
  const n = targets.length;
  const summary =
    n === 0
      ? 'No worker reclaim is currently needed.'
      : `${n} worker(s) need reclaim according to persisted heartbeat truth (${counts.stale} stale, ${counts.timedOut} timed out). Auto reclaim is ${enabled ? 'enabled' : 'disabled'}.`;
  return { worker_auto_reclaim_enabled: enabled, reclaim_needed_worker_count: n, targets, summary };
};

/** The seed's `reclaim_plan` payload, from a `worker_visibility` payload (null in, null out). */
export const createReclaimPlanPayload = (workerVisibility: Json, config: RuntimeConfig): ReclaimPlanPayload<JsonObject> | null => {
  if (workerVisibility === null) return null;
  const workers = getKey(workerVisibility, 'workers');
  const targets: JsonObject[] = [];
  for (const worker of Array.isArray(workers) ? workers : []) {
    const target = reclaimTargetOf(worker);
    if (target !== null) targets.push(target);
  }
  return assembleReclaimPlanPayload(config, targets, {
    stale: Math.max(asInteger(getKey(workerVisibility, 'stale_worker_count')) ?? 0, 0),
    timedOut: Math.max(asInteger(getKey(workerVisibility, 'timed_out_worker_count')) ?? 0, 0),
  });
};
