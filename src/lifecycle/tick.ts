import { getKey, isPresent, orNull, type Json, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import {
  isActiveTickState,
  workerNextActionForState,
  workerTransitionForState,
  type WorkerStateText,
} from './states.js';
import type { EffectiveThresholds } from './thresholds.js';
import { delegationWorkKind } from './work-kind.js';

export const LONG_RUNNING_WORK_TICK_SCHEMA = 'ccc.long_running_work_tick.v1';

export type RecoveryAction = 'reclaim' | 'poll' | 'ask_operator' | 'wait';

/** The seed's `worker_recovery_decision_for_state`: what a captain should do now, and why. */
export const workerRecoveryDecision = (
  state: WorkerStateText,
  elapsedSinceProgressMs: number | null,
  thresholds: EffectiveThresholds,
): { action: RecoveryAction; reason: string } => {
  const age = elapsedSinceProgressMs ?? 0;
  switch (state) {
    case 'timed_out':
      return { action: 'reclaim', reason: `worker progress age ${age} ms reached reclaim threshold ${thresholds.timeout_after_ms} ms` };
    case 'stale':
      return { action: 'reclaim', reason: `worker progress age ${age} ms reached stale threshold ${thresholds.stale_after_ms} ms` };
    case 'running_quiet':
      return { action: 'poll', reason: `worker progress age ${age} ms reached quiet threshold ${thresholds.quiet_after_ms} ms` };
    case 'failed':
    case 'cancelled':
      return { action: 'ask_operator', reason: 'worker ended without a clean fan-in path; ask the operator for recovery direction' };
    case 'returned':
      return { action: 'wait', reason: 'worker returned output; wait for captain fan-in advance' };
    case 'queued':
    case 'launching':
      return { action: 'wait', reason: 'worker has not crossed a quiet or stale threshold; wait for launch or heartbeat' };
    default:
      return { action: 'wait', reason: `worker progress age ${age} ms is below quiet threshold ${thresholds.quiet_after_ms} ms` };
  }
};

const firstPresent = (lifecycle: Json, keys: string[]): Json => {
  for (const key of keys) {
    const value = getKey(lifecycle, key);
    if (isPresent(value)) return value as Json;
  }
  return null;
};

const ageSince = (value: Json, nowMs: number): number | null => {
  const at = parseRfc3339Millis(value);
  return at === undefined ? null : Math.max(nowMs - at, 0);
};

/** The seed's `ccc.long_running_work_tick.v1` heartbeat payload for one worker. */
export const createWorkerProgressTick = (input: {
  delegation: JsonObject;
  lifecycle: Json;
  state: WorkerStateText;
  nowMs: number;
  elapsedSinceProgressMs: number | null;
  thresholds: EffectiveThresholds;
}): JsonObject => {
  const { delegation, lifecycle, state, nowMs, elapsedSinceProgressMs, thresholds } = input;
  const lastProgressAt = orNull(getKey(lifecycle, 'last_progress_at'));
  const tickAt = firstPresent(lifecycle, ['process_last_seen_at']) ?? lastProgressAt;
  const elapsedSinceTickMs = ageSince(tickAt, nowMs);
  const startedAt = firstPresent(lifecycle, ['started_at', 'process_started_at', 'queued_at']);
  const transition = workerTransitionForState(state);
  const recovery = workerRecoveryDecision(state, elapsedSinceProgressMs, thresholds);
  return {
    schema: LONG_RUNNING_WORK_TICK_SCHEMA,
    source: 'worker_lifecycle',
    owner_kind: delegationWorkKind(delegation),
    state,
    transition,
    classification: transition,
    next_action: workerNextActionForState(state),
    recovery_action: recovery.action,
    recovery_reason: recovery.reason,
    quiet_after_ms: thresholds.quiet_after_ms,
    stale_after_ms: thresholds.stale_after_ms,
    reclaim_after_ms: thresholds.timeout_after_ms,
    started_at: startedAt,
    elapsed_ms: ageSince(startedAt, nowMs),
    heartbeat_tick: isActiveTickState(state) && tickAt !== null,
    progress_tick: (state === 'running' || state === 'running_active') && lastProgressAt !== null,
    last_tick_at: tickAt,
    last_progress_at: lastProgressAt,
    last_update_age_ms: elapsedSinceTickMs,
    elapsed_since_tick_ms: elapsedSinceTickMs,
    elapsed_since_progress_ms: elapsedSinceProgressMs,
  };
};
