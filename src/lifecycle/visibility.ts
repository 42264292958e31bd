import type { RuntimeConfig } from '../config/defaults.js';
import { asString, getKey, orNull, type Json, type JsonObject } from '../util/json.js';
import { deriveWorkerLifecycleView, type DeriveOptions } from './derive.js';
import { isActiveVisibleState, parseChildStatus, parseWorkerState, type ChildStatusText, type WorkerStateText } from './states.js';
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
export const createVisibleWorker = (delegation: JsonObject, config: RuntimeConfig, nowMs: number, opts: DeriveOptions = {}): VisibleWorker => ({
  delegation_id: orNull(getKey(delegation, 'delegation_id')),
  work_kind: delegationWorkKind(delegation),
  child_agent: orNull(getKey(delegation, 'child_agent')),
  summary: orNull(getKey(delegation, 'summary')),
  worker_lifecycle: deriveWorkerLifecycleView(delegation, config, nowMs, opts),
  status: orNull(getKey(getKey(delegation, 'child_agent'), 'status')),
});

const lifecycleField = (worker: VisibleWorker, key: string): string | undefined =>
  asString(getKey(worker.worker_lifecycle, key));

/** What the counts of the payloads need to know of one worker. */
export interface WorkerFacts {
  state: WorkerStateText | undefined;
  status: ChildStatusText | undefined;
  reclaimNeeded: boolean;
}

const parsed = <T>(text: string | undefined, parse: (text: string) => T): T | undefined => (text === undefined ? undefined : parse(text));

export const workerFacts = (worker: VisibleWorker): WorkerFacts => ({
  state: parsed(lifecycleField(worker, 'state'), parseWorkerState),
  status: parsed(asString(worker.status), parseChildStatus),
  reclaimNeeded: lifecycleField(worker, 'reclaim_state') === 'reclaim_needed',
});

/** One worker as the payloads carry it: its entry (the object, or a stand-in such as its JSON text) and its facts. */
export interface FactualWorker<E> {
  entry: E;
  facts: WorkerFacts;
}

/** The `worker_visibility` payload's shape, over entries of type `E`. */
export type WorkerVisibilityPayload<E> = {
  task_card_id: string;
  total_worker_count: number;
  active_worker_count: number;
  queued_worker_count: number;
  launching_worker_count: number;
  running_worker_count: number;
  running_quiet_worker_count: number;
  returned_worker_count: number;
  completed_worker_count: number;
  failed_worker_count: number;
  cancelled_worker_count: number;
  stale_worker_count: number;
  timed_out_worker_count: number;
  reclaim_needed_worker_count: number;
  workers: E[];
  active_workers: E[];
};

/** The seed's `worker_visibility` payload from workers and their facts, in the given order. */
export const assembleWorkerVisibilityPayload = <E>(taskCardId: string, workers: readonly FactualWorker<E>[]): WorkerVisibilityPayload<E> => {
  const byState = new Map<string, number>();
  const byStatus = new Map<string, number>();
  let reclaimNeeded = 0;
  const active: E[] = [];
  for (const { entry, facts } of workers) {
    if (facts.state !== undefined) byState.set(facts.state, (byState.get(facts.state) ?? 0) + 1);
    if (facts.status !== undefined) byStatus.set(facts.status, (byStatus.get(facts.status) ?? 0) + 1);
    if (facts.reclaimNeeded) reclaimNeeded += 1;
    if (isActiveVisibleState(facts.state)) active.push(entry);
  }
  const count = (map: Map<string, number>, key: string): number => map.get(key) ?? 0;
  return {
    task_card_id: taskCardId,
    total_worker_count: workers.length,
    active_worker_count: active.length,
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
    workers: workers.map((w) => w.entry),
    active_workers: active,
  };
};

/** The seed's `worker_visibility` payload for one task card, from its workers' entries. */
export const createWorkerVisibilityPayload = (taskCardId: string, workers: VisibleWorker[]): WorkerVisibilityPayload<VisibleWorker> =>
  assembleWorkerVisibilityPayload(
    taskCardId,
    workers.map((entry) => ({ entry, facts: workerFacts(entry) })),
  );
