import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyCancel, applyCompletion, applyFanInStamp, applyProgress, applyReclaim } from '../../src/lifecycle/mutations.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation } from '../helpers/records.js';

const lifecycleOf = (r: JsonObject): JsonObject => r.worker_lifecycle as JsonObject;

describe('record mutations', () => {
  it('completion writes the seed fields and keeps unknown keys; the input is not modified', () => {
    const input = runningDelegation('a');
    const before = structuredClone(input);
    const out = applyCompletion(input, {
      completedAt: at(5),
      status: 'completed',
      summary: 'done',
      workerResult: { status: 'completed', thread_id: 't' },
      latestFailure: null,
    });
    assert.deepEqual(input, before);
    assert.equal(out.completed_at, at(5));
    assert.equal(out.result_summary, 'done');
    assert.equal((out.child_agent as JsonObject).status, 'completed');
    assert.equal((out.executor as JsonObject).status, 'completed');
    assert.deepEqual(
      ['state', 'reclaim_state', 'returned_at', 'last_progress_at', 'process_last_seen_at', 'summary'].map((k) => lifecycleOf(out)[k]),
      ['returned', 'resumable', at(5), at(5), at(5), 'done'],
    );
    assert.deepEqual(out.upstream_only_key, { kept: true });
    const failed = applyCompletion(input, { completedAt: at(5), status: 'failed', summary: 'x', workerResult: {}, latestFailure: { reason: 'unknown' } });
    assert.deepEqual([lifecycleOf(failed).state, lifecycleOf(failed).reclaim_state], ['failed', 'not_needed']);
  });

  it('progress backfills only missing or null start fields', () => {
    const out = applyProgress(runningDelegation('b', { lifecycle: { started_at: null, launch_requested_at: at(-1) } }), at(9), 1234)!;
    const l = lifecycleOf(out);
    assert.equal(l.started_at, at(9));
    assert.equal(l.launch_requested_at, at(-1));
    assert.equal(l.process_started_at, at(-8_000));
    assert.equal(l.state, 'running_active');
    assert.equal(l.raw_events_size, 1234);
    assert.equal(out.updated_at, at(9));
    assert.equal(applyProgress({ delegation_id: 'x' }, at(9)), undefined);
  });

  it('reclaim records failure, reclaimed, and the stamp only when missing', () => {
    const { record, summary } = applyReclaim(runningDelegation('c', { lifecycle: { process_id: 42 } }), {
      state: 'timed_out',
      reclaimedAt: at(50),
      processId: 42,
      termination: 'killed',
    });
    assert.equal(summary, 'Worker process 42 exceeded the bounded timeout and was reclaimed by captain (killed).');
    assert.deepEqual(record.latest_failure, { stage: 'execution', reason: 'timeout', summary, recorded_at: at(50) });
    const l = lifecycleOf(record);
    assert.deepEqual([l.state, l.reclaim_state, l.timed_out_at, l.stale_at, l.termination], ['timed_out', 'reclaimed', at(50), null, 'killed']);
    const stale = applyReclaim(runningDelegation('d', { lifecycle: { stale_at: at(1) } }), { state: 'stale', reclaimedAt: at(50), processId: null, termination: 'identity_mismatch' });
    assert.equal(lifecycleOf(stale.record).stale_at, at(1));
    assert.match(stale.summary, /^Worker process unknown stopped making bounded progress .*nothing was signalled/);
  });

  it('cancel and fan-in stamp', () => {
    const c = applyCancel(runningDelegation('e'), { cancelledAt: at(3), termination: 'terminated', reason: 'user asked' });
    assert.equal((c.child_agent as JsonObject).status, 'cancelled');
    assert.equal(lifecycleOf(c).state, 'cancelled');
    const f = applyFanInStamp(runningDelegation('f'), at(7));
    assert.equal(f?.fan_in_collapsed_at, at(7));
    assert.equal(f?.updated_at, at(7));
    assert.equal(f === undefined ? 'none' : applyFanInStamp(f, at(9)), undefined, 'the first stamp wins');
  });

  it('records whose nested objects are missing or the wrong type are written without them', () => {
    const out = applyCompletion({ delegation_id: 'z', child_agent: 'odd', worker_lifecycle: [1] }, { completedAt: at(1), status: 'failed', summary: 's', workerResult: {}, latestFailure: null });
    assert.equal(out.child_agent, 'odd');
    assert.deepEqual(out.worker_lifecycle, [1]);
    assert.equal(out.completed_at, at(1));
  });
});
