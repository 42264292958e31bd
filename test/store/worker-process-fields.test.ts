/** `readWorkerProcessFields` reads exactly what `readDelegationFields(...).worker_lifecycle` reads of the process fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readDelegationFields, readWorkerProcessFields, WorkerProcessFields } from '../../src/store/schemas.js';
import type { JsonObject } from '../../src/util/json.js';
import { runningDelegation } from '../helpers/records.js';

const FIELDS = ['process_id', 'process_started_at', 'process_last_seen_at', 'process_group_id', 'process_identity', 'monitor_identity'] as const;

test('the process fields of worker_lifecycle, leniently, as the whole-record view reads them', () => {
  const identity = { pid: 42, pgid: 42, start_ticks: 123, boot_id: 'b', started_at: '2026-01-01T00:00:00Z', extra: [1] };
  const lifecycles: unknown[] = [
    undefined,
    null,
    [],
    'running',
    7,
    {},
    { process_id: 4242, process_started_at: 'x', process_last_seen_at: 'y', process_group_id: 4242, process_identity: identity, monitor_identity: identity },
    { process_id: -1, process_started_at: 5, process_last_seen_at: null, process_group_id: 1.5, process_identity: 'no', monitor_identity: [] },
    { process_id: '4242', process_identity: { pid: 'a', pgid: -3, start_ticks: 2 ** 60, boot_id: 9, started_at: {} }, other: true },
    { process_id: Number.MAX_SAFE_INTEGER + 2, monitor_identity: { pid: 1 } },
  ];
  for (const lifecycle of lifecycles) {
    const record = runningDelegation('d1') as Record<string, unknown>;
    if (lifecycle === undefined) delete record['worker_lifecycle'];
    else record['worker_lifecycle'] = lifecycle;
    const whole = readDelegationFields(record as JsonObject).worker_lifecycle;
    const narrow = readWorkerProcessFields(record as JsonObject);
    assert.equal(narrow === undefined, whole === undefined, JSON.stringify(lifecycle));
    for (const field of FIELDS) assert.deepEqual(narrow?.[field], whole?.[field], `${field} of ${JSON.stringify(lifecycle)}`);
  }
});

test('the hand-written reader gives what the WorkerProcessFields schema gives, over every kind of value in every field', () => {
  const values: unknown[] = [undefined, null, true, 0, -0, 1, 4242, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity, '', 'x', '42', [], [1], {}, { pid: 1 }];
  const identities: unknown[] = [undefined, null, 'no', [], {}];
  for (const value of values) identities.push({ pid: value, pgid: value, start_ticks: value, boot_id: value, started_at: value, extra: value });
  identities.push({ pid: 7, pgid: 7, start_ticks: 99, boot_id: 'b', started_at: '2026-01-01T00:00:00Z' }, { boot_id: 'only' });
  let compared = 0;
  const compare = (lifecycle: Record<string, unknown>): void => {
    const expected = WorkerProcessFields.parse(lifecycle);
    const actual = readWorkerProcessFields({ worker_lifecycle: lifecycle } as JsonObject);
    assert.ok(actual !== undefined);
    for (const field of FIELDS) assert.deepEqual(actual[field], expected[field], `${field} of ${JSON.stringify(lifecycle)}`);
    compared += 1;
  };
  for (const value of values) {
    compare({ process_id: value, process_started_at: value, process_last_seen_at: value, process_group_id: value });
  }
  for (const identity of identities) {
    compare({ process_identity: identity, monitor_identity: identity });
    compare({ process_id: 1, process_identity: identity });
  }
  assert.ok(compared > 60);
});
