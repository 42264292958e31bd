/**
 * Float-form literals in the fields the seed reads with `as_i64` / `as_u64`: serde_json keeps
 * `10000.0`, `2e4`, `2E3` as f64 (so the seed reads them as absent); JSON.parse makes them integers.
 * The record reader marks them; the threshold and pid readers then read them as absent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { applyProgress } from '../../src/lifecycle/mutations.js';
import { effectiveThresholds } from '../../src/lifecycle/thresholds.js';
import { workerProcessRef } from '../../src/ops/liveness.js';
import { readJsonObjectSync } from '../../src/store/json-file.js';
import {
  copyFloatLiteralMarks,
  getKey,
  isFloatLiteral,
  markFloatLiterals,
  mayHoldFloatLiteral,
  type Json,
  type JsonObject,
} from '../../src/util/json.js';

/** Parses and marks like the record reader. */
const read = (text: string): JsonObject => {
  const value = JSON.parse(text) as JsonObject;
  if (mayHoldFloatLiteral(text)) markFloatLiterals(text, value);
  return value;
};

const marked = (holder: Json | undefined, keys = ['stale_after_ms', 'timeout_after_ms', 'quiet_after_ms', 'process_id']): string[] =>
  keys.filter((key) => isFloatLiteral(holder, key));

describe('mayHoldFloatLiteral (the cheap pre-check)', () => {
  it('is false for integer literals, other keys and records captain writes', () => {
    assert.equal(mayHoldFloatLiteral('{"stale_after_ms": 45000, "timeout_after_ms":90000,"process_id" : 4242}'), false);
    assert.equal(mayHoldFloatLiteral('{"other_ms": 1.5, "monitor_process_id": 2.0, "x": "2026-11-24T09:59:30.000Z"}'), false);
    assert.equal(mayHoldFloatLiteral(JSON.stringify({ worker_lifecycle: { stale_after_ms: 10000.0, process_id: 4242 } }, null, 2)), false);
    assert.equal(mayHoldFloatLiteral('{"stale_after_ms": "1.5"}'), false);
    assert.equal(mayHoldFloatLiteral('{"stale_after_ms": null, "process_id": -7}'), false);
  });

  it('is true for a fraction or an exponent after one of the four keys', () => {
    for (const literal of ['10000.0', '2e4', '2E3', '-1.5', '1e+3', '5E-1', '0.0']) {
      assert.equal(mayHoldFloatLiteral(`{"stale_after_ms":${literal}}`), true, literal);
    }
    assert.equal(mayHoldFloatLiteral('{"a": {"process_id"\n\t :  4242.0}}'), true);
    assert.equal(mayHoldFloatLiteral('{"a": 1, "quiet_after_ms": 2E3}'), true);
  });
});

describe('markFloatLiterals', () => {
  it('marks the holder and key of each float-form literal, not integer ones', () => {
    const record = read(
      '{"worker_lifecycle": {"stale_after_ms": 10000.0, "timeout_after_ms": 2e4, "quiet_after_ms": 2E3, "process_id": 4242}}',
    );
    const lifecycle = getKey(record, 'worker_lifecycle');
    assert.deepEqual(marked(lifecycle), ['stale_after_ms', 'timeout_after_ms', 'quiet_after_ms']);
    assert.deepEqual(marked(record), []);
    assert.equal(getKey(lifecycle, 'stale_after_ms'), 10000, 'the value itself is untouched');
  });

  it('does not count float literals inside strings, with escaped quotes and backslashes', () => {
    const record = read(
      JSON.stringify({
        summary: '"stale_after_ms": 10000.0',
        note: 'say \\"process_id\\": 1.5 and \\\\',
        'weird \\" key': { process_id: 7 },
        worker_lifecycle: { stale_after_ms: 45000, process_id: 4242, text: '"timeout_after_ms": 2e4' },
      }),
    );
    assert.deepEqual(marked(getKey(record, 'worker_lifecycle')), []);
    assert.deepEqual(marked(record), []);
    assert.deepEqual(marked(getKey(record, 'weird \\" key')), []);
    // A string ending in an escaped backslash right before the real key.
    const tricky = read('{"a": "x\\\\", "b": {"process_id": 1.0}, "c": "\\"process_id\\": 2.0"}');
    assert.deepEqual(marked(getKey(tricky, 'b')), ['process_id']);
    assert.deepEqual(marked(tricky), []);
  });

  it('finds the right object in nested objects and arrays', () => {
    const record = read(
      '{"a": {"b": [1, {"process_id": 1.0}, [2.5, {"stale_after_ms": 3}], {"stale_after_ms": 3e0}]},' +
        ' "worker_lifecycle": {"nested": {"timeout_after_ms": 1.0}, "timeout_after_ms": 5}, "process_id": 9.0}',
    );
    const list = getKey(getKey(record, 'a'), 'b') as Json[];
    assert.deepEqual(marked(list[1]), ['process_id']);
    assert.deepEqual(marked((list[2] as Json[])[1]), []);
    assert.deepEqual(marked(list[3]), ['stale_after_ms']);
    const lifecycle = getKey(record, 'worker_lifecycle');
    assert.deepEqual(marked(lifecycle), []);
    assert.deepEqual(marked(getKey(lifecycle, 'nested')), ['timeout_after_ms']);
    assert.deepEqual(marked(record), ['process_id']);
  });

  it('reads escaped key names as JSON does, and the last of duplicated keys wins', () => {
    // (The pre-check looks for the plain spelling only; here the `v` holder sets it off.)
    const escaped = read('{"w": {"stale\\u005fafter_ms": 1.0, "x": "stale_after_ms"}, "v": {"process_id": 2.0}}');
    assert.deepEqual(marked(getKey(escaped, 'w')), ['stale_after_ms']);
    const lastInteger = read('{"w": {"stale_after_ms": 1.0, "stale_after_ms": 2}}');
    assert.equal(getKey(getKey(lastInteger, 'w'), 'stale_after_ms'), 2);
    assert.deepEqual(marked(getKey(lastInteger, 'w')), []);
    const lastFloat = read('{"w": {"stale_after_ms": 2, "stale_after_ms": 1.0}}');
    assert.deepEqual(marked(getKey(lastFloat, 'w')), ['stale_after_ms']);
    const duplicateHolder = read('{"w": {"stale_after_ms": 1.0}, "w": {"stale_after_ms": 7}}');
    assert.deepEqual(marked(getKey(duplicateHolder, 'w')), []);
    const replacedHolder = read('{"w": {"process_id": 1}, "w": [{"process_id": 1.5}]}');
    assert.deepEqual(marked((getKey(replacedHolder, 'w') as Json[])[0]), ['process_id']);
  });

  it('walks deep nesting without recursion', () => {
    const depth = 20_000;
    const text = `${'{"a":'.repeat(depth)}{"process_id": 1.0}${'}'.repeat(depth)}`;
    const value = read(text);
    let inner: Json | undefined = value;
    for (let i = 0; i < depth; i += 1) inner = getKey(inner, 'a');
    assert.deepEqual(marked(inner), ['process_id']);
  });

  it('copyFloatLiteralMarks carries the marks to a copy', () => {
    const lifecycle = getKey(read('{"w": {"stale_after_ms": 1.0}}'), 'w');
    const copy = structuredClone(lifecycle);
    assert.deepEqual(marked(copy), []);
    copyFloatLiteralMarks(lifecycle, copy);
    assert.deepEqual(marked(copy), ['stale_after_ms']);
  });
});

describe('float-form literals read from a record file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'captain-float-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('thresholds and the pid read them as absent, like the seed', () => {
    try {
      const path = write(
        'nx.json',
        '{"delegation_id": "nx", "worker_lifecycle": {"state": "running_active", "process_id": 4242.0,' +
          ' "stale_after_ms": 10000.0, "timeout_after_ms": 2e4, "quiet_after_ms": 2E3}}',
      );
      const record = readJsonObjectSync(path);
      const lifecycle = getKey(record, 'worker_lifecycle') as Json;
      assert.deepEqual(effectiveThresholds(lifecycle, DEFAULT_RUNTIME_CONFIG), effectiveThresholds({}, DEFAULT_RUNTIME_CONFIG));
      assert.equal(workerProcessRef(record).pid, null);
      // The same numbers written as integers count.
      const plain = readJsonObjectSync(
        write('plain.json', '{"worker_lifecycle": {"process_id": 4242, "stale_after_ms": 10000, "timeout_after_ms": 20000, "quiet_after_ms": 2000}}'),
      );
      const config = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 0 }; // no cap
      assert.deepEqual(effectiveThresholds(getKey(plain, 'worker_lifecycle') as Json, config), {
        stale_after_ms: 10_000,
        timeout_after_ms: 20_000,
        quiet_after_ms: 2_000,
      });
      assert.equal(workerProcessRef(plain).pid, 4242);
      // A record rewritten by captain's pure mutations keeps reading them as absent in memory.
      const progressed = applyProgress(record, '2026-11-24T09:59:30.000Z');
      assert.ok(progressed);
      assert.deepEqual(
        effectiveThresholds(getKey(progressed, 'worker_lifecycle') as Json, config),
        effectiveThresholds({}, config),
      );
      assert.equal(workerProcessRef(progressed).pid, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
