import type { RuntimeConfig } from '../config/defaults.js';
import { asInteger, asString, getKey, orNull, type Json, type JsonObject } from '../util/json.js';

/** The seed's `reclaim_plan` payload, from a `worker_visibility` payload (null in, null out). */
export const createReclaimPlanPayload = (workerVisibility: Json, config: RuntimeConfig): JsonObject | null => {
  if (workerVisibility === null) return null;
  const enabled = config.worker_auto_reclaim_enabled;
  const workers = getKey(workerVisibility, 'workers');
  const targets: JsonObject[] = [];
  for (const worker of Array.isArray(workers) ? workers : []) {
    const lifecycle = getKey(worker, 'worker_lifecycle');
    if (lifecycle === undefined || asString(getKey(lifecycle, 'reclaim_state')) !== 'reclaim_needed') continue;
    targets.push({
      delegation_id: orNull(getKey(worker, 'delegation_id')),
      state: orNull(getKey(lifecycle, 'state')),
      process_id: orNull(getKey(lifecycle, 'process_id')),
      last_progress_at: orNull(getKey(lifecycle, 'last_progress_at')),
      elapsed_since_progress_ms: orNull(getKey(lifecycle, 'elapsed_since_progress_ms')),
      summary: orNull(getKey(lifecycle, 'summary')),
    });
  }
  const stale = Math.max(asInteger(getKey(workerVisibility, 'stale_worker_count')) ?? 0, 0);
  const timedOut = Math.max(asInteger(getKey(workerVisibility, 'timed_out_worker_count')) ?? 0, 0);
  const n = targets.length;
  const summary =
    n === 0
      ? 'No worker reclaim is currently needed.'
      : `${n} worker(s) need reclaim according to persisted heartbeat truth (${stale} stale, ${timedOut} timed out). Auto reclaim is ${enabled ? 'enabled' : 'disabled'}.`;
  return {
    worker_auto_reclaim_enabled: enabled,
    reclaim_needed_worker_count: n,
    targets,
    summary,
  };
};
