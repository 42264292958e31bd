import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDelegationFields, readRunFields, readTaskCardFields } from '../../src/store/schemas.js';
import type { JsonObject } from '../../src/util/json.js';
import { runningDelegation } from '../helpers/records.js';

test('delegation fields read with the right types', () => {
  const record = runningDelegation('d1', {
    lifecycle: {
      process_id: 4242,
      process_started_at: '2026-11-24T09:59:52.000Z',
      process_identity: { pid: 4242, pgid: 4242, start_ticks: 987654, boot_id: 'b-1', started_at: '2026-11-24T09:59:52.000Z', extra: 1 },
      raw_events_size: 1024,
      generation: 'a1b2',
    },
    top: { worker_launch_evidence: { raw_events_file: 'raw-events/d1.jsonl', launch_source: 'ccc_spawn' } },
  });
  const view = readDelegationFields(record);
  assert.equal(view.delegation_id, 'd1');
  assert.equal(view.task_card_id, 'card-1');
  assert.equal(view.child_agent?.status, 'running');
  assert.equal(view.worker_launch_evidence?.raw_events_file, 'raw-events/d1.jsonl');
  assert.equal(view.worker_lifecycle?.process_id, 4242);
  assert.equal(view.worker_lifecycle?.process_started_at, '2026-11-24T09:59:52.000Z');
  assert.deepEqual(view.worker_lifecycle?.process_identity, {
    pid: 4242, pgid: 4242, start_ticks: 987654, boot_id: 'b-1', started_at: '2026-11-24T09:59:52.000Z', extra: 1,
  });
  assert.equal(view.worker_lifecycle?.raw_events_size, 1024);
  assert.equal(view.worker_lifecycle?.generation, 'a1b2');
  // Unknown keys pass through, at every level.
  assert.deepEqual(view['upstream_only_key'], { kept: true });
  assert.equal(view.worker_launch_evidence?.['launch_source'], 'ccc_spawn');
  assert.equal(view.worker_lifecycle?.['state'], 'running_active');
});

test('a field of the wrong type reads as absent, never as an error', () => {
  const record: JsonObject = {
    delegation_id: 7,
    task_card_id: null,
    child_agent: 'running',
    worker_launch_evidence: { raw_events_file: ['x'] },
    worker_lifecycle: {
      process_id: -1,
      process_started_at: 12,
      process_identity: { pid: 1.5, pgid: '12', start_ticks: -3, boot_id: false, started_at: {} },
      raw_events_size: 1e300,
      generation: 2.5,
    },
  };
  const view = readDelegationFields(record);
  assert.equal(view.delegation_id, undefined);
  assert.equal(view.task_card_id, undefined);
  assert.equal(view.child_agent, undefined);
  assert.equal(view.worker_launch_evidence?.raw_events_file, undefined);
  const lifecycle = view.worker_lifecycle;
  assert.ok(lifecycle);
  assert.equal(lifecycle.process_id, undefined);
  assert.equal(lifecycle.process_started_at, undefined);
  assert.equal(lifecycle.raw_events_size, undefined);
  assert.equal(lifecycle.generation, undefined);
  assert.deepEqual(
    [lifecycle.process_identity?.pid, lifecycle.process_identity?.pgid, lifecycle.process_identity?.start_ticks, lifecycle.process_identity?.boot_id, lifecycle.process_identity?.started_at],
    [undefined, undefined, undefined, undefined, undefined],
  );
  assert.equal(readDelegationFields({ worker_lifecycle: [1] }).worker_lifecycle, undefined);
  assert.deepEqual(readDelegationFields({}), {});
  assert.equal(readDelegationFields({ worker_lifecycle: { process_group_id: -2 } }).worker_lifecycle?.process_group_id, undefined);
});

test('run and task-card fields', () => {
  const run = readRunFields({ run_id: 'r1', active_task_card_id: 'card-1', task_card_ids: ['card-1', 3, null, 'card-2'], goal: 'g' });
  assert.equal(run.run_id, 'r1');
  assert.equal(run.active_task_card_id, 'card-1');
  assert.deepEqual(run.task_card_ids, ['card-1', 'card-2']);
  assert.equal(run['goal'], 'g');
  assert.equal(readRunFields({ task_card_ids: 'card-1' }).task_card_ids, undefined);

  const fanout = { mode: 'parallel', lanes: [] };
  const envelope = { summary: 's', status: 'completed' };
  const card = readTaskCardFields({ task_card_id: 'card-1', title: 'T', status: 'active', parallel_fanout: fanout, worker_result_envelope: envelope, subagent_fan_in: [] });
  assert.equal(card.task_card_id, 'card-1');
  assert.equal(card.title, 'T');
  assert.equal(card.status, 'active');
  assert.equal(card.parallel_fanout, fanout, 'objects are handed through, not copied');
  assert.equal(card.worker_result_envelope, envelope);
  assert.equal(card.subagent_fan_in, undefined);
});

test('reading 100k delegation views stays well under a few seconds', (t) => {
  const records = Array.from({ length: 100_000 }, (_, i) => runningDelegation(`d${i}`, { lifecycle: { process_id: i, generation: 1 } }));
  const started = performance.now();
  let running = 0;
  for (const record of records) if (readDelegationFields(record).child_agent?.status === 'running') running += 1;
  const elapsed = performance.now() - started;
  t.diagnostic(`readDelegationFields x100k: ${elapsed.toFixed(0)} ms`);
  assert.equal(running, 100_000);
  assert.ok(elapsed < 3_000, `${elapsed} ms`);
});
