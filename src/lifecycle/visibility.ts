import type { RuntimeConfig } from '../config/defaults.js';
import { asString, getKey, orNull, type Json, type JsonObject } from '../util/json.js';
import { deriveWorkerLifecycleView } from './derive.js';
import { isActiveVisibleState } from './states.js';
import { delegationWorkKind } from './work-kind.js';

/** One entry of `worker_visibility.workers`. */
export interface VisibleWorker extends JsonObject {
  delegation_id: Json;
  work_kind: string;
  child_agent: Json;
  summary: Json;
  worker_lifecycle: Json;
  status: Json;
}

/** The seed's per-worker visibility entry. */
export const createVisibleWorker = (delegation: JsonObject, config: RuntimeConfig, nowMs: number): VisibleWorker => ({
  delegation_id: orNull(getKey(delegation, 'delegation_id')),
  work_kind: delegationWorkKind(delegation),
  child_agent: orNull(getKey(delegation, 'child_agent')),
  summary: orNull(getKey(delegation, 'summary')),
  worker_lifecycle: deriveWorkerLifecycleView(delegation, config, nowMs),
  status: orNull(getKey(getKey(delegation, 'child_agent'), 'status')),
});

const lifecycleField = (worker: VisibleWorker, key: string): string | undefined =>
  asString(getKey(worker.worker_lifecycle, key));

/** The seed's `worker_visibility` payload for one task card, from its workers' entries. */
export const createWorkerVisibilityPayload = (taskCardId: string, workers: VisibleWorker[]): JsonObject => {
  const byState = new Map<string, number>();
  const byStatus = new Map<string, number>();
  let reclaimNeeded = 0;
  for (const worker of workers) {
    const state = lifecycleField(worker, 'state');
    if (state !== undefined) byState.set(state, (byState.get(state) ?? 0) + 1);
    const status = asString(worker.status);
    if (status !== undefined) byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (lifecycleField(worker, 'reclaim_state') === 'reclaim_needed') reclaimNeeded += 1;
  }
  const count = (map: Map<string, number>, key: string): number => map.get(key) ?? 0;
  const activeWorkers = workers.filter((worker) => isActiveVisibleState(lifecycleField(worker, 'state')));
  return {
    task_card_id: taskCardId,
    total_worker_count: workers.length,
    active_worker_count: activeWorkers.length,
    queued_worker_count: count(byState, 'queued'),
    launching_worker_count: count(byState, 'launching'),
    running_worker_count: count(byState, 'running') + count(byState, 'running_active'),
    running_quiet_worker_count: count(byState, 'running_quiet'),
    returned_worker_count: count(byState, 'returned'),
    completed_worker_count: count(byStatus, 'completed'),
    failed_worker_count: count(byStatus, 'failed'),
    cancelled_worker_count: count(byStatus, 'cancelled'),
    stale_worker_count: count(byState, 'stale'),
    timed_out_worker_count: count(byState, 'timed_out'),
    reclaim_needed_worker_count: reclaimNeeded,
    workers,
    active_workers: activeWorkers,
  };
};
