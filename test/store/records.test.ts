import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RECORD_READ_SCRATCH_BYTES } from '../../src/config/defaults.js';
import { writeJsonAtomicSync } from '../../src/store/json-file.js';
import { listDelegationFiles, listTaskCardFiles, loadDelegations, loadTaskCards } from '../../src/store/records.js';
import { runningDelegation } from '../helpers/records.js';
import { tempDir } from './helpers.js';

test('listDelegationFiles: *.json sorted by name, without *.result.json, locks, temp files or other files', (t) => {
  const run = tempDir(t);
  const dir = join(run, 'delegations');
  mkdirSync(dir);
  for (const name of ['b.json', 'a.json', 'c.result.json', 'notes.txt', 'a.json.12345', 'b.jsonl', '.json']) writeFileSync(join(dir, name), '{}');
  mkdirSync(join(dir, 'a.json.lock'));
  assert.deepEqual(listDelegationFiles(run), [join(dir, 'a.json'), join(dir, 'b.json')]);
  assert.deepEqual(listTaskCardFiles(run), []);
});

test('missing folders load as empty', (t) => {
  const run = tempDir(t);
  assert.deepEqual(listDelegationFiles(run), []);
  assert.deepEqual(loadDelegations(run), { records: [], errors: [] });
  assert.deepEqual(loadTaskCards(run), { records: [], errors: [] });
});

test('corrupt or unreadable files become error entries with path and reason; the rest load', (t) => {
  const run = tempDir(t);
  const dir = join(run, 'delegations');
  writeJsonAtomicSync(join(dir, 'd1.json'), runningDelegation('d1'));
  writeJsonAtomicSync(join(dir, 'd5.json'), runningDelegation('d5'));
  writeFileSync(join(dir, 'd2.json'), '{"delegation_id": "d2", "child_agent": {');
  writeFileSync(join(dir, 'd3.json'), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
  writeFileSync(join(dir, 'd4.json'), '[{"delegation_id": "d4"}]');
  mkdirSync(join(dir, 'd6.json'));
  const { records, errors } = loadDelegations(run);
  assert.deepEqual(records.map((r) => [r.fileName, r.record['delegation_id']]), [['d1.json', 'd1'], ['d5.json', 'd5']]);
  assert.equal(records[0]?.path, join(dir, 'd1.json'));
  assert.deepEqual(records[0]?.record, runningDelegation('d1'));
  assert.deepEqual(errors.map((e) => e.path), ['d2.json', 'd3.json', 'd4.json', 'd6.json'].map((n) => join(dir, n)));
  const reasons = errors.map((e) => e.reason);
  assert.match(reasons[0] ?? '', /^invalid JSON at position 40 \(.*\); expected one JSON object$/);
  assert.match(reasons[1] ?? '', /^not valid UTF-8 \(first bad byte at offset 2\)/);
  assert.match(reasons[2] ?? '', /^the root is an array; expected one JSON object$/);
  assert.match(reasons[3] ?? '', /^a directory, not a regular file/);
});

test('loadTaskCards reads task-cards/ the same way', (t) => {
  const run = tempDir(t);
  writeJsonAtomicSync(join(run, 'task-cards', 'card-2.json'), { task_card_id: 'card-2' });
  writeJsonAtomicSync(join(run, 'task-cards', 'card-1.json'), { task_card_id: 'card-1' });
  writeFileSync(join(run, 'task-cards', 'card-3.json'), '');
  const { records, errors } = loadTaskCards(run);
  assert.deepEqual(records.map((r) => r.record['task_card_id']), ['card-1', 'card-2']);
  assert.deepEqual(errors, [{ path: join(run, 'task-cards', 'card-3.json'), reason: 'invalid JSON at position 0 (Unexpected end of JSON input); expected one JSON object' }]);
});

test('loading 2 000 delegations stays fast (one plain read per file)', (t) => {
  const run = tempDir(t);
  const count = 2_000;
  mkdirSync(join(run, 'delegations'));
  for (let i = 0; i < count; i += 1) {
    const id = `d-${String(i).padStart(5, '0')}`;
    writeFileSync(join(run, 'delegations', `${id}.json`), `${JSON.stringify(runningDelegation(id), null, 2)}\n`);
  }
  const started = performance.now();
  const { records, errors } = loadDelegations(run);
  const elapsed = performance.now() - started;
  t.diagnostic(`loadDelegations: ${count} files in ${elapsed.toFixed(0)} ms`);
  assert.equal(records.length, count);
  assert.equal(errors.length, 0);
  // 100k must fit in a ~6 s status (measured ~1.8 s); 2k gets a generous share of that on a busy 2-core machine.
  assert.ok(elapsed < 1_000, `${elapsed} ms`);
});

test('records larger than the reused read buffer load intact, and so do the small ones after them', (t) => {
  const run = tempDir(t);
  const dir = join(run, 'delegations');
  mkdirSync(dir);
  const padded = (id: string, bytes: number): string => {
    const base = JSON.stringify({ delegation_id: id, pad: '' });
    return JSON.stringify({ delegation_id: id, pad: 'é'.repeat(Math.floor((bytes - base.length) / 2)) + 'x'.repeat((bytes - base.length) % 2) });
  };
  const sizes: Record<string, number> = { a: 100, b: RECORD_READ_SCRATCH_BYTES, c: 50, d: 5 * RECORD_READ_SCRATCH_BYTES + 3, e: 70 };
  const texts = Object.fromEntries(Object.entries(sizes).map(([id, bytes]) => [id, padded(id, bytes)]));
  for (const [id, text] of Object.entries(texts)) writeFileSync(join(dir, `${id}.json`), text);
  assert.equal(Buffer.byteLength(texts.b ?? ''), RECORD_READ_SCRATCH_BYTES, 'one file exactly fills the buffer');
  writeFileSync(join(dir, 'f.json'), Buffer.concat([Buffer.from('{"delegation_id":"f","pad":"'), Buffer.alloc(RECORD_READ_SCRATCH_BYTES, 0x61), Buffer.from([0xff]), Buffer.from('"}')]));
  const { records, errors } = loadDelegations(run);
  assert.deepEqual(records.map((r) => r.record), Object.values(texts).map((text) => JSON.parse(text) as unknown));
  assert.deepEqual(errors.map((e) => [e.path, e.reason]), [[join(dir, 'f.json'), `not valid UTF-8 (first bad byte at offset ${RECORD_READ_SCRATCH_BYTES + 28}); expected one JSON object`]]);
});
