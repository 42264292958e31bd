/**
 * Pure record mutations: each takes a delegation record and returns a new one with the seed's
 * writes applied, keeping every key it does not touch (other tools write these files too).
 * The store applies them under the record lock; nothing here touches the disk.
 */
import { copyFloatLiteralMarks, getKey, isJsonObject, isPresent, type Json, type JsonObject } from '../util/json.js';
import type { WorkerKind } from './kinds.js';
import type { ChildStatus, WorkerStateText } from './states.js';

/** A deep copy; the lifecycle keeps its float-literal marks (the copy holds the same on-disk values). */
const clone = (record: JsonObject): JsonObject => {
  const copy = structuredClone(record);
  copyFloatLiteralMarks(getKey(record, 'worker_lifecycle'), getKey(copy, 'worker_lifecycle'));
  return copy;
};

/** The nested object at `key`, or undefined when it is absent or not an object (the seed then skips it). */
const child = (record: JsonObject, key: string): JsonObject | undefined => {
  const value = getKey(record, key);
  return isJsonObject(value) ? value : undefined;
};

const setIfMissing = (object: JsonObject, key: string, value: Json): void => {
  if (!isPresent(getKey(object, key))) object[key] = value;
};

const setStatuses = (record: JsonObject, status: ChildStatus): void => {
  const childAgent = child(record, 'child_agent');
  if (childAgent) childAgent.status = status;
  const executor = child(record, 'executor');
  if (executor) executor.status = status;
};

export interface Completion {
  completedAt: string;
  status: 'completed' | 'failed';
  summary: string;
  workerResult: JsonObject;
  latestFailure: JsonObject | null;
}

/** The seed's `finalize_delegation_with_completion`. */
export const applyCompletion = (delegation: JsonObject, completion: Completion): JsonObject => {
  const record = clone(delegation);
  const { completedAt, status, summary } = completion;
  record.updated_at = completedAt;
  record.completed_at = completedAt;
  record.result_summary = summary;
  record.worker_result = completion.workerResult;
  record.latest_failure = completion.latestFailure;
  setStatuses(record, status);
  const lifecycle = child(record, 'worker_lifecycle');
  if (lifecycle) {
    lifecycle.state = status === 'completed' ? 'returned' : 'failed';
    lifecycle.reclaim_state = status === 'completed' ? 'resumable' : 'not_needed';
    lifecycle.process_last_seen_at = completedAt;
    lifecycle.returned_at = completedAt;
    lifecycle.last_progress_at = completedAt;
    lifecycle.summary = summary;
  }
  return record;
};

/** Why a worker could not be started: the errno (or captain's code) and the path it concerns. */
export interface SpawnFailure {
  errno: string;
  path: string;
  message: string;
}

/**
 * A delegation whose worker never ran: failed, `failure_reason: spawn_failed` (not retried: the
 * same launch fails the same way), the errno and path kept in `worker_result.spawn_error`.
 */
export const applySpawnFailure = (delegation: JsonObject, failure: SpawnFailure, at: string, kind: WorkerKind, processExit: JsonObject | null = null): JsonObject => {
  const where = failure.path === '' ? '' : ` ${failure.path}`;
  const summary = `Worker could not be started: ${failure.message} (${failure.errno}${where}). Check the command or --cwd and delegate again.`;
  return applyCompletion(delegation, {
    completedAt: at,
    status: 'failed',
    summary,
    workerResult: { status: 'failed', recorded_at: at, kind, failure_reason: 'spawn_failed', spawn_error: { errno: failure.errno, path: failure.path }, process_exit: processExit, terminal_event: null },
    latestFailure: { stage: 'launch', reason: 'spawn_failed', summary, recorded_at: at },
  });
};

/**
 * The seed's progress write: progress was observed at `observedAt` (the raw events file's mtime).
 * Returns undefined when the record has no `worker_lifecycle` object (nothing to write).
 * `rawEventsSize` is captain's extra progress evidence (the file grew), stored for the next refresh.
 */
export const applyProgress = (delegation: JsonObject, observedAt: string, rawEventsSize?: number): JsonObject | undefined => {
  const record = clone(delegation);
  const lifecycle = child(record, 'worker_lifecycle');
  if (!lifecycle) return undefined;
  lifecycle.last_progress_at = observedAt;
  lifecycle.process_last_seen_at = observedAt;
  lifecycle.state = 'running_active';
  setIfMissing(lifecycle, 'started_at', observedAt);
  setIfMissing(lifecycle, 'process_started_at', observedAt);
  setIfMissing(lifecycle, 'launch_requested_at', observedAt);
  if (rawEventsSize !== undefined) lifecycle.raw_events_size = rawEventsSize;
  record.updated_at = observedAt;
  return record;
};

/** Records how big the raw events file is without dating any progress (output already accounted for). */
export const applyObservedSize = (delegation: JsonObject, rawEventsSize: number): JsonObject | undefined => {
  const record = clone(delegation);
  const lifecycle = child(record, 'worker_lifecycle');
  if (!lifecycle) return undefined;
  lifecycle.raw_events_size = rawEventsSize;
  return record;
};

export type Termination = 'already_exited' | 'terminated' | 'killed' | 'identity_mismatch';

/** The failure summary the seed writes for a reclaimed worker (naming captain instead of Rust CCC). */
export const reclaimSummary = (state: WorkerStateText, processId: number | null, termination: Termination): string => {
  const pid = processId === null ? 'unknown' : String(processId);
  const what = state === 'timed_out' ? 'exceeded the bounded timeout' : 'stopped making bounded progress';
  const tail =
    termination === 'identity_mismatch'
      ? `${termination}: the live process is not the recorded worker, so nothing was signalled`
      : termination;
  return `Worker process ${pid} ${what} and was reclaimed by captain (${tail}).`;
};

/** The seed's reclaim write: failed, `reclaim_state: reclaimed`, the stale or timed-out stamp. */
export const applyReclaim = (
  delegation: JsonObject,
  reclaim: { state: WorkerStateText; reclaimedAt: string; processId: number | null; termination: Termination },
): { record: JsonObject; summary: string } => {
  const record = clone(delegation);
  const { state, reclaimedAt } = reclaim;
  const summary = reclaimSummary(state, reclaim.processId, reclaim.termination);
  record.updated_at = reclaimedAt;
  record.completed_at = reclaimedAt;
  record.result_summary = summary;
  record.latest_failure = { stage: 'execution', reason: 'timeout', summary, recorded_at: reclaimedAt };
  setStatuses(record, 'failed');
  const lifecycle = child(record, 'worker_lifecycle');
  if (lifecycle) {
    lifecycle.state = state;
    lifecycle.reclaim_state = 'reclaimed';
    lifecycle.process_last_seen_at = reclaimedAt;
    lifecycle.returned_at = reclaimedAt;
    lifecycle.summary = summary;
    lifecycle.termination = reclaim.termination;
    if (state === 'stale') setIfMissing(lifecycle, 'stale_at', reclaimedAt);
    if (state === 'timed_out') setIfMissing(lifecycle, 'timed_out_at', reclaimedAt);
  }
  return { record, summary };
};

/** Cancellation on purpose: child and executor `cancelled`, lifecycle `cancelled`. */
export const applyCancel = (
  delegation: JsonObject,
  cancel: { cancelledAt: string; termination: Termination; reason: string },
): JsonObject => {
  const record = clone(delegation);
  const summary = `Worker cancelled by captain (${cancel.termination}): ${cancel.reason}`;
  record.updated_at = cancel.cancelledAt;
  record.completed_at = cancel.cancelledAt;
  record.result_summary = summary;
  record.latest_failure = { stage: 'execution', reason: 'cancelled', summary, recorded_at: cancel.cancelledAt };
  setStatuses(record, 'cancelled');
  const lifecycle = child(record, 'worker_lifecycle');
  if (lifecycle) {
    lifecycle.state = 'cancelled';
    lifecycle.reclaim_state = 'not_needed';
    lifecycle.process_last_seen_at = cancel.cancelledAt;
    lifecycle.returned_at = cancel.cancelledAt;
    lifecycle.summary = summary;
    lifecycle.termination = cancel.termination;
  }
  return record;
};

/** The seed's fan-in stamp. */
export const applyFanInStamp = (delegation: JsonObject, collapsedAt: string): JsonObject | undefined => {
  // The first stamp wins: a record already collapsed keeps its time.
  if (typeof delegation.fan_in_collapsed_at === 'string') return undefined;
  return { ...clone(delegation), updated_at: collapsedAt, fan_in_collapsed_at: collapsedAt };
};
