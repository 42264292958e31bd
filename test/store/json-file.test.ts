import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCaptainError, type CaptainError } from '../../src/errors.js';
import { readJsonObjectSync, writeJsonAtomic, writeJsonAtomicSync } from '../../src/store/json-file.js';
import { finished, spawnFixture, tempDir, waitForLine } from './helpers.js';

const captainError = (fn: () => unknown): CaptainError => {
  try {
    fn();
  } catch (error) {
    assert.ok(isCaptainError(error), `expected a CaptainError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a throw');
};

test('writes pretty JSON with a trailing newline and reads it back', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'nested', 'deeper', 'x.json');
  writeJsonAtomicSync(file, { a: 1, b: { c: [true, null, 'é'] } });
  assert.equal(readFileSync(file, 'utf8'), '{\n  "a": 1,\n  "b": {\n    "c": [\n      true,\n      null,\n      "é"\n    ]\n  }\n}\n');
  assert.deepEqual(readJsonObjectSync(file), { a: 1, b: { c: [true, null, 'é'] } });
  assert.deepEqual(readdirSync(join(dir, 'nested', 'deeper')), ['x.json'], 'no temp file left behind');
});

test('the async write creates the folder and keeps the file mode', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sub', 'x.json');
  await writeJsonAtomic(file, { v: 1 });
  chmodSync(file, 0o600);
  await writeJsonAtomic(file, { v: 2 });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeJsonAtomicSync(file, { v: 3 });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readJsonObjectSync(file), { v: 3 });
});

test('a missing file is NOT_FOUND', (t) => {
  const file = join(tempDir(t), 'nope.json');
  const error = captainError(() => readJsonObjectSync(file));
  assert.equal(error.code, 'NOT_FOUND');
  assert.match(error.message, /nope\.json/);
});

test('truncated JSON names the file, the position and the expectation', (t) => {
  const file = join(tempDir(t), 'truncated.json');
  writeFileSync(file, '{"delegation_id": "x", "child_agent": {"status": "run');
  const error = captainError(() => readJsonObjectSync(file));
  assert.equal(error.code, 'INVALID_RECORD');
  assert.ok(error.message.startsWith(`${file}: invalid JSON at position 53 (`), error.message);
  assert.match(error.message, /expected one JSON object$/);
  assert.equal(error.data?.['path'], file);
  assert.match(String(error.data?.['reason']), /^invalid JSON at position 53/);
});

test('an empty file is invalid JSON at position 0', (t) => {
  const file = join(tempDir(t), 'empty.json');
  writeFileSync(file, '');
  assert.match(captainError(() => readJsonObjectSync(file)).message, /empty\.json: invalid JSON at position 0 \(Unexpected end of JSON input\)/);
});

test('invalid UTF-8 is an error naming the first bad byte, not replacement characters', (t) => {
  const file = join(tempDir(t), 'latin1.json');
  writeFileSync(file, Buffer.concat([Buffer.from('{"summary": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
  const error = captainError(() => readJsonObjectSync(file));
  assert.equal(error.code, 'INVALID_RECORD');
  assert.match(error.message, /latin1\.json: not valid UTF-8 \(first bad byte at offset 16\)/);
});

test('a root that is not an object is rejected with what was found', (t) => {
  const dir = tempDir(t);
  for (const [name, body, found] of [
    ['array.json', '[{"delegation_id": "x"}]', 'an array'],
    ['null.json', 'null', 'null'],
    ['string.json', '"x"', 'a string'],
  ] as const) {
    writeFileSync(join(dir, name), body);
    const error = captainError(() => readJsonObjectSync(join(dir, name)));
    assert.equal(error.code, 'INVALID_RECORD');
    assert.match(error.message, new RegExp(`${name}: the root is ${found}; expected one JSON object`));
  }
});

test('an unreadable path (a folder) is INVALID_RECORD, not a crash', (t) => {
  const dir = join(tempDir(t), 'folder.json');
  mkdirSync(dir);
  const error = captainError(() => readJsonObjectSync(dir));
  assert.equal(error.code, 'INVALID_RECORD');
  assert.match(error.message, /folder\.json: a directory, not a regular file/);
});

test('a reader in another process never sees a half-written record during many atomic writes', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'delegation.json');
  const stop = join(dir, 'stop');
  // Records of very different sizes, so a torn (truncated/partial) file could not parse.
  const big = { delegation_id: 'x', padding: 'p'.repeat(256 * 1024), counter: 0 };
  const small = { delegation_id: 'x', counter: 0 };
  writeJsonAtomicSync(file, small);
  const reader = spawnFixture(t, 'read-loop.ts', [file, stop]);
  const done = finished(reader);
  await waitForLine(reader, 'ready');
  const writes = 400;
  for (let i = 1; i <= writes; i += 1) writeJsonAtomicSync(file, i % 2 === 0 ? { ...small, counter: i } : { ...big, counter: i });
  writeFileSync(stop, '');
  const { code, stdout, stderr } = await done;
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { reads: number; failures: number; firstFailure: string | null };
  t.diagnostic(`${writes} writes, ${result.reads} concurrent reads, ${result.failures} failures`);
  assert.equal(result.failures, 0, `reader saw a broken record: ${result.firstFailure}`);
  assert.ok(result.reads > 10, `reader barely ran (${result.reads} reads)`);
  assert.equal(readJsonObjectSync(file)['counter'], writes);
});
