import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { deriveWorkerLifecycleView } from '../../src/lifecycle/derive.js';
import { parseWorkerState, summarizeVisibleWorkerLifecycleState, workerNextActionForState, workerTransitionForState } from '../../src/lifecycle/states.js';
import { workerRecoveryDecision } from '../../src/lifecycle/tick.js';
import { delegationWorkKind } from '../../src/lifecycle/work-kind.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';

const t = { quiet_after_ms: 10, stale_after_ms: 20, timeout_after_ms: 30 };

describe('state tables', () => {
  it('next action, transition and phrase per state', () => {
    const rows: Array<[string, string, string]> = [
      ['queued', 'await_worker', 'running'],
      ['launching', 'await_worker', 'running'],
      ['running', 'await_worker', 'running'],
      ['running_active', 'await_worker', 'running'],
      ['running_quiet', 'await_worker', 'quiet'],
      ['stale', 'reclaim', 'stalled'],
      ['timed_out', 'reclaim', 'reclaimable'],
      ['returned', 'advance', 'completed'],
      ['failed', 'none', 'running'],
      ['cancelled', 'none', 'running'],
      ['bogus', 'await_worker', 'running'],
    ];
    for (const [state, next, transition] of rows) {
      assert.equal(workerNextActionForState(parseWorkerState(state)), next, state);
      assert.equal(workerTransitionForState(parseWorkerState(state)), transition, state);
    }
    assert.equal(summarizeVisibleWorkerLifecycleState(parseWorkerState('bogus')), 'worker lifecycle is unavailable');
    assert.equal(summarizeVisibleWorkerLifecycleState('timed_out'), 'timed out and needs bounded reclaim');
  });

  it('recovery decision per state, with the age in the reason (null age reads 0)', () => {
    assert.deepEqual(workerRecoveryDecision('timed_out', 31, t), { action: 'reclaim', reason: 'worker progress age 31 ms reached reclaim threshold 30 ms' });
    assert.deepEqual(workerRecoveryDecision('stale', 21, t), { action: 'reclaim', reason: 'worker progress age 21 ms reached stale threshold 20 ms' });
    assert.deepEqual(workerRecoveryDecision('running_quiet', null, t), { action: 'poll', reason: 'worker progress age 0 ms reached quiet threshold 10 ms' });
    assert.equal(workerRecoveryDecision('failed', 0, t).action, 'ask_operator');
    assert.equal(workerRecoveryDecision('cancelled', 0, t).action, 'ask_operator');
    assert.equal(workerRecoveryDecision('returned', 0, t).reason, 'worker returned output; wait for captain fan-in advance');
    assert.equal(workerRecoveryDecision('launching', 0, t).reason, 'worker has not crossed a quiet or stale threshold; wait for launch or heartbeat');
    assert.equal(workerRecoveryDecision('running_active', 5, t).reason, 'worker progress age 5 ms is below quiet threshold 10 ms');
  });
});

describe('work kind', () => {
  it('the first present key decides, blank or non-string reads as worker', () => {
    assert.equal(delegationWorkKind({ work_kind: ' review ' }), 'review');
    assert.equal(delegationWorkKind({ worker_request: { work_kind: 'scan' } }), 'scan');
    assert.equal(delegationWorkKind({ worker_launch_evidence: { work_kind: 'x' } }), 'x');
    assert.equal(delegationWorkKind({ work_kind: '  ', worker_request: { work_kind: 'scan' } }), 'worker');
    assert.equal(delegationWorkKind({ work_kind: 5, worker_request: { work_kind: 'scan' } }), 'worker');
    assert.equal(delegationWorkKind({}), 'worker');
  });
});

describe('ccc.long_running_work_tick.v1', () => {
  const tick = (record: JsonObject, nowOffset: number): JsonObject =>
    deriveWorkerLifecycleView(record, DEFAULT_RUNTIME_CONFIG, T0 + nowOffset)!.heartbeat;

  it('has every field of the seed for an active worker', () => {
    const h = tick(runningDelegation('a', { top: { work_kind: 'review' } }), 1_000);
    assert.deepEqual(h, {
      schema: 'ccc.long_running_work_tick.v1',
      source: 'worker_lifecycle',
      owner_kind: 'review',
      state: 'running_active',
      transition: 'running',
      classification: 'running',
      next_action: 'await_worker',
      recovery_action: 'wait',
      recovery_reason: 'worker progress age 1000 ms is below quiet threshold 22500 ms',
      quiet_after_ms: 22_500,
      stale_after_ms: 45_000,
      reclaim_after_ms: 45_000,
      started_at: at(-8_000),
      elapsed_ms: 9_000,
      heartbeat_tick: true,
      progress_tick: true,
      last_tick_at: at(0),
      last_progress_at: at(0),
      last_update_age_ms: 1_000,
      elapsed_since_tick_ms: 1_000,
      elapsed_since_progress_ms: 1_000,
    });
  });

  it('falls back for started_at and the tick time; stale and timed-out workers have no heartbeat tick', () => {
    const r = runningDelegation('b', { lifecycle: { started_at: null, process_started_at: null, process_last_seen_at: null } });
    const h = tick(r, 50_000);
    assert.equal(h.state, 'timed_out');
    assert.equal(h.started_at, at(-10_000), 'queued_at is the last fallback');
    assert.equal(h.last_tick_at, at(0), 'last_progress_at stands in for a missing process_last_seen_at');
    assert.equal(h.heartbeat_tick, false);
    assert.equal(h.progress_tick, false);
    const quiet = tick(runningDelegation('c'), 30_000);
    assert.equal(quiet.heartbeat_tick, true);
    assert.equal(quiet.progress_tick, false);
  });

  it('null ages when the stamps are missing', () => {
    const r = runningDelegation('d', { lifecycle: { last_progress_at: null, process_last_seen_at: null, started_at: null, process_started_at: null, queued_at: null } });
    const h = tick(r, 0);
    assert.equal(h.elapsed_ms, null);
    assert.equal(h.last_update_age_ms, null);
    assert.equal(h.heartbeat_tick, false);
  });
});
