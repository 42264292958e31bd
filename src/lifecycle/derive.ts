import type { RuntimeConfig } from '../config/defaults.js';
import { asString, getKey, isPresent, orNull, type Json, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import {
  parseChildStatus,
  parseReclaimState,
  parseWorkerState,
  summarizeVisibleWorkerLifecycleState,
  type ChildStatusText,
  type ReclaimStateText,
  type WorkerStateText,
} from './states.js';
import { effectiveThresholds, type EffectiveThresholds } from './thresholds.js';
import { createWorkerProgressTick } from './tick.js';

/** The derived (never persisted) state of one worker: the seed's lifecycle view, field for field. */
export interface WorkerLifecycleView extends JsonObject {
  state: WorkerStateText;
  reclaim_state: ReclaimStateText;
  stale_after_ms: number;
  timeout_after_ms: number;
  quiet_after_ms: number;
  elapsed_since_progress_ms: number | null;
  heartbeat: JsonObject;
  summary: string;
}

/** `child_agent.status`, or "queued" when absent or not a string. */
export const childStatusOf = (delegation: JsonObject): ChildStatusText =>
  parseChildStatus(asString(getKey(getKey(delegation, 'child_agent'), 'status')) ?? 'queued');

interface Verdict {
  state: WorkerStateText;
  reclaimState: ReclaimStateText;
  staleAt: Json;
  timedOutAt: Json;
}

/** The seed's ordered rules for a running child with a known progress age. */
const judgeRunning = (lifecycle: Json, elapsed: number, t: EffectiveThresholds, v: Verdict): Verdict => {
  const lastProgressAt = orNull(getKey(lifecycle, 'last_progress_at'));
  if (elapsed >= t.timeout_after_ms) {
    return { ...v, state: 'timed_out', reclaimState: 'reclaim_needed', timedOutAt: v.timedOutAt === null ? lastProgressAt : v.timedOutAt };
  }
  if (elapsed >= t.stale_after_ms) {
    return { ...v, state: 'stale', reclaimState: 'reclaim_needed', staleAt: v.staleAt === null ? lastProgressAt : v.staleAt };
  }
  // The seed tests key presence here: `launch_requested_at: null` still counts as requested.
  if (getKey(lifecycle, 'launch_requested_at') !== undefined && !isPresent(getKey(lifecycle, 'started_at'))) {
    return { ...v, state: 'launching' };
  }
  return { ...v, state: elapsed >= t.quiet_after_ms ? 'running_quiet' : 'running_active' };
};

/** Applies the child status (the terminal truth) to the stored lifecycle state. */
const judge = (childStatus: ChildStatusText, lifecycle: Json, elapsed: number | null, t: EffectiveThresholds, stored: Verdict): Verdict => {
  switch (childStatus) {
    case 'running':
      return elapsed === null ? stored : judgeRunning(lifecycle, elapsed, t, stored);
    case 'completed':
      return { ...stored, state: 'returned', reclaimState: stored.reclaimState === 'reclaimed' ? 'reclaimed' : 'resumable' };
    case 'failed':
      return stored.reclaimState === 'reclaimed' ? stored : { ...stored, state: 'failed', reclaimState: 'not_needed' };
    case 'cancelled':
      return { ...stored, state: 'cancelled', reclaimState: 'not_needed' };
    default:
      return stored;
  }
};

export interface DeriveOptions {
  /**
   * The instant the state is judged at (thresholds against the progress age then); ages are still
   * shown at `nowMs`. Default: `nowMs`. Only for making view templates (view-template.ts): the state
   * a running worker has now, with every age at a probe instant.
   */
  judgedAtMs?: number;
}

/**
 * Until when the state derived at `nowMs` holds: the first instant at which the progress age
 * reaches a threshold it has not reached at `nowMs` (the quiet, stale or timeout threshold; each
 * only ever goes from unreached to reached as time passes, and nothing else of a derived entry
 * depends on `now` but the ages). Infinity for a child that is not running (no threshold is judged)
 * or a record without a progress time.
 */
export const derivedStateHoldsUntil = (delegation: JsonObject, config: RuntimeConfig, nowMs: number): number => {
  const lifecycle = orNull(getKey(delegation, 'worker_lifecycle'));
  if (lifecycle === null || childStatusOf(delegation) !== 'running') return Infinity;
  const progressAt = parseRfc3339Millis(getKey(lifecycle, 'last_progress_at'));
  if (progressAt === undefined) return Infinity;
  const elapsed = Math.max(nowMs - progressAt, 0);
  const t = effectiveThresholds(lifecycle, config);
  let next = Infinity;
  for (const threshold of [t.quiet_after_ms, t.stale_after_ms, t.timeout_after_ms]) {
    if (threshold > elapsed) next = Math.min(next, progressAt + threshold);
  }
  return next;
};

/**
 * The seed's `create_worker_lifecycle_view`: pure, from the record, the resolved config and `now`.
 * Returns null when the record has no `worker_lifecycle`.
 */
export const deriveWorkerLifecycleView = (
  delegation: JsonObject,
  config: RuntimeConfig,
  nowMs: number,
  opts: DeriveOptions = {},
): WorkerLifecycleView | null => {
  const lifecycle = orNull(getKey(delegation, 'worker_lifecycle'));
  if (lifecycle === null) return null;
  const progressAt = parseRfc3339Millis(getKey(lifecycle, 'last_progress_at'));
  const elapsed = progressAt === undefined ? null : Math.max(nowMs - progressAt, 0);
  const judgedAtMs = opts.judgedAtMs ?? nowMs;
  const judgedElapsed = progressAt === undefined ? null : Math.max(judgedAtMs - progressAt, 0);
  const thresholds = effectiveThresholds(lifecycle, config);
  const storedState = parseWorkerState(asString(getKey(lifecycle, 'state')) ?? 'queued');
  const storedReclaim = asString(getKey(lifecycle, 'reclaim_state'));
  const stored: Verdict = {
    state: storedState,
    reclaimState: storedReclaim === undefined ? (storedState === 'returned' ? 'resumable' : 'not_needed') : parseReclaimState(storedReclaim),
    staleAt: orNull(getKey(lifecycle, 'stale_at')),
    timedOutAt: orNull(getKey(lifecycle, 'timed_out_at')),
  };
  const verdict = judge(childStatusOf(delegation), lifecycle, judgedElapsed, thresholds, stored);
  const field = (key: string): Json => orNull(getKey(lifecycle, key));
  return {
    state: verdict.state,
    reclaim_state: verdict.reclaimState,
    queued_at: field('queued_at'),
    launch_requested_at: field('launch_requested_at'),
    started_at: field('started_at'),
    process_id: field('process_id'),
    process_started_at: field('process_started_at'),
    process_last_seen_at: field('process_last_seen_at'),
    process_alive: null,
    last_progress_at: field('last_progress_at'),
    returned_at: field('returned_at'),
    stale_at: verdict.staleAt,
    timed_out_at: verdict.timedOutAt,
    stale_after_ms: thresholds.stale_after_ms,
    timeout_after_ms: thresholds.timeout_after_ms,
    quiet_after_ms: thresholds.quiet_after_ms,
    elapsed_since_progress_ms: elapsed,
    heartbeat: createWorkerProgressTick({ delegation, lifecycle, state: verdict.state, nowMs, elapsedSinceProgressMs: elapsed, thresholds }),
    summary: summarizeVisibleWorkerLifecycleState(verdict.state),
  };
};
