import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getStatus } from '../../src/ops/status.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';
import { CODEX_OK_STREAM, makeTempRun } from '../helpers/run-dir.js';

const workersOf = (status: JsonObject): JsonObject[] => (status.worker_visibility as JsonObject).workers as JsonObject[];
const stateOf = (status: JsonObject, id: string): string =>
  ((workersOf(status).find((w) => w.delegation_id === id)?.worker_lifecycle as JsonObject | undefined)?.state as string) ?? 'missing';

describe('status over a real run directory', () => {
  const run = makeTempRun();
  after(() => run.remove());
  const fixedNow = () => T0 + 30_000;

  it('reports corrupt records in errors and still shows the others', () => {
    run.writeDelegation(runningDelegation('good', { child: { status: 'completed' } }));
    writeFileSync(join(run.runDir, 'delegations', 'truncated.json'), '{"delegation_id": "trunc", "task_card_id": "card-1", ');
    writeFileSync(join(run.runDir, 'delegations', 'utf8.json'), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    writeFileSync(join(run.runDir, 'delegations', 'array.json'), '[1,2]');
    writeFileSync(join(run.runDir, 'delegations', 'good.result.json'), '{not even json');
    const status = getStatus(run.context({}, fixedNow), { snapshot: true });
    assert.deepEqual(workersOf(status).map((w) => w.delegation_id), ['good']);
    const errors = status.errors.map((e) => [e.path.split('/').pop(), e.reason]);
    assert.equal(errors.length, 3, JSON.stringify(errors));
    assert.deepEqual(errors.map(([file]) => file).sort(), ['array.json', 'truncated.json', 'utf8.json']);
    assert.match(String(errors.find(([f]) => f === 'truncated.json')?.[1]), /JSON/);
    assert.match(String(errors.find(([f]) => f === 'utf8.json')?.[1]), /UTF-8/);
    assert.match(String(errors.find(([f]) => f === 'array.json')?.[1]), /array/);
  });

  it('wrong-typed fields read as absent instead of failing', () => {
    run.writeDelegation({ delegation_id: 'odd', task_card_id: 'card-1', child_agent: { status: 42 }, worker_lifecycle: { state: ['x'], last_progress_at: 7 } });
    const status = getStatus(run.context({}, fixedNow), { snapshot: true });
    assert.equal(stateOf(status, 'odd'), 'queued');
  });

  it('--snapshot shows the records as persisted; observe sees progress without writing; the refresh writes it', () => {
    const path = run.writeDelegation(runningDelegation('live'));
    const raw = run.writeRaw('live', '{"type":"thread.started","thread_id":"t"}\n');
    utimesSync(raw, new Date(T0 + 20_000), new Date(T0 + 20_000));
    const before = readFileSync(path, 'utf8');
    const snap = getStatus(run.context({}, fixedNow), { snapshot: true });
    assert.equal(stateOf(snap, 'live'), 'running_quiet', "the seed's snapshot: 30 s since the persisted progress");
    const observed = getStatus(run.context({}, fixedNow), { refresh: 'observe' });
    assert.equal(stateOf(observed, 'live'), 'running_active', 'observed progress 10 s ago');
    assert.equal(readFileSync(path, 'utf8'), before, 'nothing written');
    const status = getStatus(run.context({}, fixedNow));
    assert.equal(stateOf(status, 'live'), 'running_active');
    const written = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    assert.equal((written.worker_lifecycle as JsonObject).last_progress_at, at(20_000));
    assert.deepEqual(written.upstream_only_key, { kept: true }, 'unknown keys survive the rewrite');
  });

  it('a file that grew while its mtime did not move past last_progress_at records its size but dates no new progress', () => {
    const path = run.writeDelegation(runningDelegation('grow', { lifecycle: { last_progress_at: at(25_000), raw_events_size: 5 } }));
    const raw = run.writeRaw('grow', 'x'.repeat(50) + '\n');
    utimesSync(raw, new Date(T0), new Date(T0));
    getStatus(run.context({}, fixedNow));
    const lifecycle = (JSON.parse(readFileSync(path, 'utf8')) as JsonObject).worker_lifecycle as JsonObject;
    assert.equal(lifecycle.raw_events_size, 51);
    assert.equal(lifecycle.last_progress_at, at(25_000), 'progress is dated by the mtime, never by the time of looking');
  });

  it('output from the first milliseconds, first seen after the stale threshold, is not fresh progress: the worker is stale', () => {
    // Launched at T0 (raw_events_size 0), printed at once (coarse mtime just before started_at), then hung.
    const path = run.writeDelegation(runningDelegation('early', { lifecycle: { started_at: at(0), last_progress_at: at(0), raw_events_size: 0, stale_after_ms: 10_000, timeout_after_ms: 60_000 } }));
    const raw = run.writeRaw('early', '{"type":"thread.started","thread_id":"t"}\n');
    utimesSync(raw, new Date(T0 - 3), new Date(T0 - 3));
    const status = getStatus(run.context({}, fixedNow));
    assert.equal(stateOf(status, 'early'), 'stale');
    const lifecycle = (JSON.parse(readFileSync(path, 'utf8')) as JsonObject).worker_lifecycle as JsonObject;
    assert.equal(lifecycle.last_progress_at, at(0));
  });

  it('finalizes a running worker whose stream ended with turn.completed and no live process', () => {
    const path = run.writeDelegation(runningDelegation('done'));
    const raw = run.writeRaw('done', CODEX_OK_STREAM);
    utimesSync(raw, new Date(T0 + 10_000), new Date(T0 + 10_000));
    const status = getStatus(run.context({}, fixedNow));
    assert.equal(stateOf(status, 'done'), 'returned');
    const record = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    assert.equal((record.child_agent as JsonObject).status, 'completed');
    assert.equal(record.completed_at, at(10_000), "completed_at is the raw file's mtime");
    assert.equal((record.worker_result as JsonObject).thread_id, '0199a213-81c0-7800-8aa1-bbab2a035a53');
  });

  it('finalizes a worker whose recorded pid is dead (no terminal event: failed)', () => {
    const path = run.writeDelegation(runningDelegation('dead', { lifecycle: { process_id: 2 ** 22 + 12345 } }));
    run.writeRaw('dead', 'panic: something broke\n');
    getStatus(run.context({}, fixedNow));
    const record = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    assert.equal((record.child_agent as JsonObject).status, 'failed');
    assert.equal((record.latest_failure as JsonObject).reason, 'invalid_output');
  });

  it('a raw_events_file outside the run directory is an error unless allowed', () => {
    const outside = join(run.runDir, '..', 'outside.jsonl');
    writeFileSync(outside, CODEX_OK_STREAM);
    run.writeDelegation(runningDelegation('escape', { top: { worker_launch_evidence: { raw_events_file: '../outside.jsonl' } } }));
    symlinkSync(outside, join(run.runDir, 'raw-events', 'link.jsonl'));
    run.writeDelegation(runningDelegation('symlink', { top: { worker_launch_evidence: { raw_events_file: 'raw-events/link.jsonl' } } }));
    const status = getStatus(run.context({}, fixedNow), { refresh: 'observe' });
    const reasons = status.errors.filter((e) => /escape|symlink/.test(e.path)).map((e) => e.reason);
    assert.equal(reasons.length, 2);
    for (const reason of reasons) assert.match(reason, /raw_events_file.*--allow-outside-paths/s);
    // Reported, and shown as persisted (as the seed lists it): the outside file is never read.
    assert.notEqual(stateOf(status, 'escape'), 'missing');
    assert.notEqual(stateOf(status, 'escape'), 'returned');
    const before = readFileSync(join(run.runDir, 'delegations', 'escape.json'), 'utf8');
    const written = getStatus(run.context({}, fixedNow));
    assert.equal(written.errors.filter((e) => /escape|symlink/.test(e.path)).length, 2);
    assert.equal(readFileSync(join(run.runDir, 'delegations', 'escape.json'), 'utf8'), before, 'nothing written from an outside file');
    const allowed = getStatus(run.context({}, fixedNow, true), { refresh: 'observe' });
    assert.equal(stateOf(allowed, 'escape'), 'returned');
  });

  it('with no active task card, reports every task card', () => {
    const other = makeTempRun({ run_id: 'r2' });
    try {
      other.writeTaskCard({ task_card_id: 'card-a', title: 'A' });
      other.writeDelegation(runningDelegation('x1', { top: { task_card_id: 'card-b' }, child: { status: 'failed' } }));
      const status = getStatus(other.context({}, fixedNow), { snapshot: true });
      assert.equal(status.task_card_id, null);
      assert.equal(status.worker_visibility, null);
      const cards = status.task_cards as JsonObject[];
      assert.deepEqual(cards.map((c) => c.task_card_id), ['card-a', 'card-b']);
      assert.equal(((cards[1]!.worker_visibility as JsonObject).failed_worker_count), 1);
    } finally {
      other.remove();
    }
  });

  it('a 50 MB raw events file of garbage does not slow the refresh down', () => {
    const path = run.writeDelegation(runningDelegation('garbage', { lifecycle: { process_id: 2 ** 22 + 54321 } }));
    const raw = run.writeRaw('garbage', '');
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) % 256;
    for (let i = 0; i < 50; i++) writeFileSync(raw, chunk, { flag: 'a' });
    assert.equal(statSync(raw).size, 50 * 1024 * 1024);
    const started = performance.now();
    getStatus(run.context({}, fixedNow));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1_000, `refresh took ${elapsed} ms`);
    const record = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    assert.equal((record.child_agent as JsonObject).status, 'failed');
    assert.equal((record.worker_result as JsonObject).raw_output_bytes, 50 * 1024 * 1024);
  });
});
