import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { deriveWorkerLifecycleView } from '../../src/lifecycle/derive.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';

const cfg = (patch: Partial<RuntimeConfig> = {}): RuntimeConfig => ({ ...DEFAULT_RUNTIME_CONFIG, ...patch });
const view = (record: JsonObject, nowOffset: number, config = cfg()) => {
  const v = deriveWorkerLifecycleView(record, config, T0 + nowOffset);
  assert.ok(v, 'expected a lifecycle view');
  return v;
};

describe('deriveWorkerLifecycleView: running child', () => {
  const record = runningDelegation('d1'); // stale = timeout = 45000, quiet = 22500

  it('is running_active below quiet and running_quiet at exactly quiet', () => {
    assert.equal(view(record, 22_499).state, 'running_active');
    assert.equal(view(record, 22_500).state, 'running_quiet');
    assert.equal(view(record, 22_500).reclaim_state, 'not_needed');
  });

  it('is timed_out (not stale) at exactly the shared threshold: timeout is checked first', () => {
    const v = view(record, 45_000);
    assert.equal(v.state, 'timed_out');
    assert.equal(v.reclaim_state, 'reclaim_needed');
    assert.equal(v.timed_out_at, at(0), 'timed_out_at backfills from last_progress_at');
    assert.equal(v.stale_at, null);
    assert.equal(view(record, 44_999).state, 'running_quiet');
  });

  it('is stale between distinct stale and timeout thresholds', () => {
    const r = runningDelegation('d2', { lifecycle: { stale_after_ms: 10_000, timeout_after_ms: 20_000 } });
    assert.equal(view(r, 9_999).state, 'running_quiet');
    const stale = view(r, 10_000);
    assert.equal(stale.state, 'stale');
    assert.equal(stale.stale_at, at(0));
    assert.equal(view(r, 19_999).state, 'stale');
    assert.equal(view(r, 20_000).state, 'timed_out');
  });

  it('keeps a stored stale_at / timed_out_at instead of backfilling', () => {
    const r = runningDelegation('d3', { lifecycle: { timed_out_at: '2026-01-01T00:00:00.000Z' } });
    assert.equal(view(r, 50_000).timed_out_at, '2026-01-01T00:00:00.000Z');
  });

  it('is launching when launch was requested but started_at is null or missing, below stale', () => {
    const r = runningDelegation('d4', { lifecycle: { started_at: null } });
    assert.equal(view(r, 1_000).state, 'launching');
    assert.equal(view(r, 30_000).state, 'launching', 'launching wins over quiet');
    assert.equal(view(r, 45_000).state, 'timed_out', 'but not over timeout');
    const noKey = runningDelegation('d5');
    delete (noKey.worker_lifecycle as JsonObject).started_at;
    assert.equal(view(noKey, 1_000).state, 'launching');
    const requestedNull = runningDelegation('d6', { lifecycle: { started_at: null, launch_requested_at: null } });
    assert.equal(view(requestedNull, 1_000).state, 'launching', 'the seed tests key presence, not value');
    const noRequest = runningDelegation('d7', { lifecycle: { started_at: null } });
    delete (noRequest.worker_lifecycle as JsonObject).launch_requested_at;
    assert.equal(view(noRequest, 1_000).state, 'running_active');
  });

  it('keeps the stored state when last_progress_at is missing or unparseable', () => {
    for (const bad of [null, 'yesterday', 42]) {
      const r = runningDelegation('d8', { lifecycle: { last_progress_at: bad, state: 'running_quiet' } });
      const v = view(r, 999_999);
      assert.equal(v.state, 'running_quiet');
      assert.equal(v.elapsed_since_progress_ms, null);
    }
  });

  it('clamps a progress time in the future to elapsed 0', () => {
    assert.equal(view(runningDelegation('d9'), -5_000).elapsed_since_progress_ms, 0);
  });

  it('applies the configured stuck threshold as a cap', () => {
    assert.equal(view(record, 5_000, cfg({ worker_stuck_after_ms: 5_000 })).state, 'timed_out');
    assert.equal(view(record, 2_500, cfg({ worker_stuck_after_ms: 5_000 })).state, 'running_quiet');
    assert.equal(view(record, 2_499, cfg({ worker_stuck_after_ms: 5_000 })).state, 'running_active');
  });
});

describe('deriveWorkerLifecycleView: terminal and other children', () => {
  it('returns null without a worker_lifecycle (or with null)', () => {
    const r = runningDelegation('x');
    delete r.worker_lifecycle;
    assert.equal(deriveWorkerLifecycleView(r, cfg(), T0), null);
    assert.equal(deriveWorkerLifecycleView({ ...r, worker_lifecycle: null }, cfg(), T0), null);
  });

  it('completed → returned/resumable, reclaimed stays reclaimed', () => {
    const done = runningDelegation('c', { child: { status: 'completed' }, lifecycle: { state: 'running_active' } });
    assert.deepEqual([view(done, 999_999).state, view(done, 999_999).reclaim_state], ['returned', 'resumable']);
    const reclaimed = runningDelegation('c2', { child: { status: 'completed' }, lifecycle: { reclaim_state: 'reclaimed' } });
    assert.equal(view(reclaimed, 0).reclaim_state, 'reclaimed');
  });

  it('failed → failed/not_needed unless reclaimed, which keeps the stored state', () => {
    const failed = runningDelegation('f', { child: { status: 'failed' } });
    assert.deepEqual([view(failed, 0).state, view(failed, 0).reclaim_state], ['failed', 'not_needed']);
    const reclaimed = runningDelegation('f2', { child: { status: 'failed' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed' } });
    assert.deepEqual([view(reclaimed, 0).state, view(reclaimed, 0).reclaim_state], ['timed_out', 'reclaimed']);
  });

  it('cancelled → cancelled/not_needed', () => {
    const r = runningDelegation('k', { child: { status: 'cancelled' }, lifecycle: { reclaim_state: 'reclaimed' } });
    assert.deepEqual([view(r, 0).state, view(r, 0).reclaim_state], ['cancelled', 'not_needed']);
  });

  it('missing child status reads as queued and keeps the stored state; missing state reads as queued', () => {
    const r = runningDelegation('q', { top: { child_agent: { status: 7 } }, lifecycle: { state: 'launching' } });
    assert.equal(view(r, 999_999).state, 'launching');
    const none = runningDelegation('q2', { top: { child_agent: null }, lifecycle: { state: null } });
    assert.deepEqual([view(none, 0).state, view(none, 0).reclaim_state], ['queued', 'not_needed']);
    const returned = runningDelegation('q3', { top: { child_agent: null }, lifecycle: { state: 'returned', reclaim_state: null } });
    assert.equal(view(returned, 0).reclaim_state, 'resumable', 'a returned state defaults reclaim to resumable');
  });

  it('carries the record fields and the fixed summary phrase; process_alive is always null', () => {
    const v = view(runningDelegation('p', { lifecycle: { process_id: 4242 } }), 30_000);
    assert.equal(v.process_id, 4242);
    assert.equal(v.process_alive, null);
    assert.equal(v.summary, 'running without recent event output but still alive');
    assert.equal(v.queued_at, at(-10_000));
    assert.equal((v.heartbeat as JsonObject).schema, 'ccc.long_running_work_tick.v1');
  });
});
