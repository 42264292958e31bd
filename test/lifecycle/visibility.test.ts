import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { createReclaimPlanPayload } from '../../src/lifecycle/reclaim-plan.js';
import { createVisibleWorker, createWorkerVisibilityPayload } from '../../src/lifecycle/visibility.js';
import type { JsonObject } from '../../src/util/json.js';
import { runningDelegation, T0 } from '../helpers/records.js';

const now = T0 + 30_000; // running workers with progress at T0 are quiet (22.5 s) but not stuck (45 s)
const records: JsonObject[] = [
  runningDelegation('active', { lifecycle: { last_progress_at: new Date(now - 1_000).toISOString() } }),
  runningDelegation('quiet'),
  runningDelegation('timed', { lifecycle: { last_progress_at: new Date(now - 60_000).toISOString(), process_id: 999_999 } }),
  runningDelegation('stale', { lifecycle: { stale_after_ms: 10_000, timeout_after_ms: 90_000 } }),
  runningDelegation('launch', { lifecycle: { started_at: null } }),
  runningDelegation('queued', { child: { status: 'queued' }, lifecycle: { state: 'queued' } }),
  runningDelegation('done', { child: { status: 'completed' } }),
  runningDelegation('failed', { child: { status: 'failed' } }),
  runningDelegation('reclaimed', { child: { status: 'failed' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed' } }),
  runningDelegation('cancel', { child: { status: 'cancelled' } }),
  runningDelegation('legacy', { lifecycle: { state: 'running', last_progress_at: null } }),
  { delegation_id: 'no-lifecycle', child_agent: { status: 'running' } },
];

describe('worker_visibility payload', () => {
  const workers = records.map((r) => createVisibleWorker(r, DEFAULT_RUNTIME_CONFIG, now));
  const payload = createWorkerVisibilityPayload('card-1', workers);

  it('counts by derived state and by child status', () => {
    const { workers: _w, active_workers: _a, ...counts } = payload;
    assert.deepEqual(counts, {
      task_card_id: 'card-1',
      total_worker_count: 12,
      active_worker_count: 8, // active, quiet, timed, stale, launch, queued, legacy(running), and (as in the seed) the reclaimed one still in timed_out
      queued_worker_count: 1,
      launching_worker_count: 1,
      running_worker_count: 2, // running_active + stored "running"
      running_quiet_worker_count: 1,
      returned_worker_count: 1,
      completed_worker_count: 1,
      failed_worker_count: 2,
      cancelled_worker_count: 1,
      stale_worker_count: 1,
      timed_out_worker_count: 2, // the live one and the reclaimed one keeping its stored state
      reclaim_needed_worker_count: 2,
    });
    assert.deepEqual(
      (payload.active_workers as JsonObject[]).map((w) => w.delegation_id),
      ['active', 'quiet', 'timed', 'stale', 'launch', 'queued', 'reclaimed', 'legacy'],
    );
  });

  it('a worker without lifecycle has a null view and counts only in the total', () => {
    const w = workers[11]!;
    assert.equal(w.worker_lifecycle, null);
    assert.equal(w.status, 'running');
    assert.equal(w.work_kind, 'worker');
  });

  it('the reclaim plan lists exactly the reclaim_needed workers', () => {
    const plan = createReclaimPlanPayload(payload, DEFAULT_RUNTIME_CONFIG)!;
    assert.equal(plan.reclaim_needed_worker_count, 2);
    const targets = plan.targets as JsonObject[];
    assert.deepEqual(targets.map((t) => [t.delegation_id, t.state]), [['timed', 'timed_out'], ['stale', 'stale']]);
    assert.equal(targets[0]!.process_id, 999_999);
    assert.equal(targets[0]!.elapsed_since_progress_ms, 60_000);
    assert.equal(
      plan.summary,
      '2 worker(s) need reclaim according to persisted heartbeat truth (1 stale, 2 timed out). Auto reclaim is enabled.',
    );
    const off = createReclaimPlanPayload(payload, { ...DEFAULT_RUNTIME_CONFIG, worker_auto_reclaim_enabled: false })!;
    assert.match(off.summary as string, /Auto reclaim is disabled\.$/);
    assert.equal(off.worker_auto_reclaim_enabled, false);
  });

  it('no targets and null visibility', () => {
    const empty = createWorkerVisibilityPayload('card-2', []);
    assert.equal(empty.total_worker_count, 0);
    assert.equal(createReclaimPlanPayload(empty, DEFAULT_RUNTIME_CONFIG)!.summary, 'No worker reclaim is currently needed.');
    assert.equal(createReclaimPlanPayload(null, DEFAULT_RUNTIME_CONFIG), null);
  });
});
