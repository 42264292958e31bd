import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCaptainError } from '../../src/errors.js';
import { readJsonObjectSync, writeJsonAtomicSync } from '../../src/store/json-file.js';
import { recordLockPath } from '../../src/store/lock.js';
import { updateJsonRecord, updateJsonRecordSync } from '../../src/store/update-record.js';
import type { JsonObject } from '../../src/util/json.js';
import { runningDelegation } from '../helpers/records.js';
import { finished, spawnFixture, tempDir, waitForLine } from './helpers.js';

const setChildStatus = (status: string) => (current: JsonObject): JsonObject => {
  const child = current['child_agent'];
  return { ...current, child_agent: { ...(typeof child === 'object' && child !== null && !Array.isArray(child) ? child : {}), status } };
};

test('updateJsonRecord keeps every key the mutation does not touch', async (t) => {
  const file = join(tempDir(t), 'd1.json');
  const original = {
    ...runningDelegation('d1'),
    future_upstream_field: { nested: [1, { deep: 'x' }], flag: false },
    'weird key with spaces': null,
  };
  writeJsonAtomicSync(file, original);
  const { record, written } = await updateJsonRecord(file, setChildStatus('completed'));
  assert.equal(written, true);
  const expected = setChildStatus('completed')(original);
  assert.deepEqual(record, expected);
  assert.deepEqual(readJsonObjectSync(file), expected);
  assert.equal(existsSync(recordLockPath(file)), false);
});

test('a mutation returning undefined writes nothing', async (t) => {
  const file = join(tempDir(t), 'd1.json');
  writeFileSync(file, '{"compact":true,"n":1}');
  const { record, written } = await updateJsonRecord(file, () => undefined);
  assert.equal(written, false);
  assert.deepEqual(record, { compact: true, n: 1 });
  assert.equal(readFileSync(file, 'utf8'), '{"compact":true,"n":1}', 'file untouched (not even reformatted)');
  const sync = updateJsonRecordSync(file, () => undefined);
  assert.deepEqual(sync, { locked: true, record: { compact: true, n: 1 }, written: false });
  assert.equal(readFileSync(file, 'utf8'), '{"compact":true,"n":1}');
});

test('the mutation sees the file as it is under the lock, not an earlier read', async (t) => {
  const file = join(tempDir(t), 'd1.json');
  writeJsonAtomicSync(file, { n: 1 });
  writeJsonAtomicSync(file, { n: 2, added_by_someone_else: true });
  const { record } = await updateJsonRecord(file, (current) => ({ ...current, n: Number(current['n']) + 1 }));
  assert.deepEqual(record, { n: 3, added_by_someone_else: true });
});

test('a throwing mutation leaves the file alone and releases the lock', async (t) => {
  const file = join(tempDir(t), 'd1.json');
  writeJsonAtomicSync(file, { n: 1 });
  await assert.rejects(updateJsonRecord(file, () => { throw new Error('nope'); }), /nope/);
  assert.deepEqual(readJsonObjectSync(file), { n: 1 });
  assert.equal(existsSync(recordLockPath(file)), false);
});

test('missing and corrupt records fail with NOT_FOUND / INVALID_RECORD and release the lock', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(updateJsonRecord(join(dir, 'gone.json'), (c) => c), (e: unknown) => isCaptainError(e) && e.code === 'NOT_FOUND');
  writeFileSync(join(dir, 'bad.json'), '{"n": ');
  await assert.rejects(updateJsonRecord(join(dir, 'bad.json'), (c) => c), (e: unknown) => isCaptainError(e) && e.code === 'INVALID_RECORD');
  assert.equal(readFileSync(join(dir, 'bad.json'), 'utf8'), '{"n": ');
  assert.equal(existsSync(recordLockPath(join(dir, 'bad.json'))), false);
  assert.throws(() => updateJsonRecordSync(join(dir, 'bad.json'), (c) => c), (e: unknown) => isCaptainError(e) && e.code === 'INVALID_RECORD');
  assert.equal(existsSync(recordLockPath(join(dir, 'bad.json'))), false);
});

test('updateJsonRecordSync skips a record another process holds and updates it once free', async (t) => {
  const file = join(tempDir(t), 'd1.json');
  writeJsonAtomicSync(file, { n: 1, keep: 'me' });
  const holder = spawnFixture(t, 'hold-lock.ts', [file]);
  const done = finished(holder);
  await waitForLine(holder, 'locked');
  let called = false;
  assert.deepEqual(updateJsonRecordSync(file, (c) => { called = true; return c; }), { locked: false });
  assert.equal(called, false);
  holder.stdin.end();
  assert.equal((await done).code, 0);
  const result = updateJsonRecordSync(file, (c) => ({ ...c, n: 2 }));
  assert.deepEqual(result, { locked: true, record: { n: 2, keep: 'me' }, written: true });
  assert.deepEqual(readJsonObjectSync(file), { n: 2, keep: 'me' });
});

test('two processes updating the same 4 records concurrently lose no update', async (t) => {
  const dir = tempDir(t);
  const files = [1, 2, 3, 4].map((n) => join(dir, 'delegations', `d${n}.json`));
  for (const file of files) writeJsonAtomicSync(file, { ...runningDelegation(file), counter: 0 });
  const iterations = 1_000;
  const started = performance.now();
  const workers = ['alpha', 'beta'].map((name) => finished(spawnFixture(t, 'increment-worker.ts', [name, String(iterations), ...files])));
  const results = await Promise.all(workers);
  const elapsed = Math.round(performance.now() - started);
  for (const { code, stderr } of results) assert.equal(code, 0, stderr);
  t.diagnostic(`2 processes x 4 records x ${iterations} locked updates = ${8 * iterations} writes in ${elapsed} ms (${results.map((r) => r.stdout.trim()).join(' ')})`);
  for (const file of files) {
    const record = readJsonObjectSync(file);
    assert.equal(record['counter'], 2 * iterations, `${file}: lost updates`);
    for (const worker of ['alpha', 'beta']) {
      const missing = Array.from({ length: iterations }, (_, i) => `${worker}_${i}`).filter((key) => record[key] !== true);
      assert.deepEqual(missing, [], `${file}: keys lost`);
    }
    assert.deepEqual(record['upstream_only_key'], { kept: true });
    assert.equal(existsSync(recordLockPath(file)), false);
  }
});
