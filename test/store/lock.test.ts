import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isCaptainError } from '../../src/errors.js';
import { recordLockPath, tryWithRecordLockSync, withRecordLock } from '../../src/store/lock.js';
import { finished, spawnFixture, tempDir, waitForLine } from './helpers.js';

const record = (dir: string): string => {
  const file = join(dir, 'd1.json');
  writeFileSync(file, '{}\n');
  return file;
};

test('the lock file is <record>.lock while held and gone afterwards', async (t) => {
  const file = record(tempDir(t));
  const seen = await withRecordLock(file, (lock) => {
    assert.equal(lock.lockPath, `${file}.lock`);
    return existsSync(`${file}.lock`);
  });
  assert.equal(seen, true);
  assert.equal(existsSync(recordLockPath(file)), false);
});

test('the lock is released when the callback throws, and the error comes through', async (t) => {
  const file = record(tempDir(t));
  await assert.rejects(
    withRecordLock(file, async () => {
      await sleep(5);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(existsSync(recordLockPath(file)), false);
  assert.deepEqual(tryWithRecordLockSync(file, () => 1), { locked: true, value: 1 });
});

test('callers in one process take turns', async (t) => {
  const file = record(tempDir(t));
  let inside = 0;
  let maxInside = 0;
  await Promise.all(
    Array.from({ length: 5 }, () =>
      withRecordLock(file, async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await sleep(10);
        inside -= 1;
      }),
    ),
  );
  assert.equal(maxInside, 1);
});

test('another process holding the lock: tryWithRecordLockSync does not wait, withRecordLock times out, then both work', async (t) => {
  const file = record(tempDir(t));
  const holder = spawnFixture(t, 'hold-lock.ts', [file]);
  const done = finished(holder);
  await waitForLine(holder, 'locked');

  let ran = false;
  const started = performance.now();
  assert.deepEqual(tryWithRecordLockSync(file, () => (ran = true)), { locked: false });
  assert.equal(ran, false);
  assert.ok(performance.now() - started < 200, 'tryWithRecordLockSync waited');

  await assert.rejects(withRecordLock(file, () => 'never', { waitMs: 300 }), (error: unknown) => {
    assert.ok(isCaptainError(error));
    assert.equal(error.code, 'LOCK_TIMEOUT');
    assert.ok(error.message.startsWith(`${file}: another captain process has held the record lock for over 300 ms`), error.message);
    assert.match(error.message, /retry/);
    assert.match(error.message, /d1\.json\.lock/);
    return true;
  });

  // The waiter gets the lock as soon as the holder lets go.
  const waiting = withRecordLock(file, () => 'mine', { waitMs: 10_000 });
  holder.stdin.end();
  assert.equal(await waiting, 'mine');
  const { code, stdout, stderr } = await done;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /released/);
  assert.deepEqual(tryWithRecordLockSync(file, () => 'free'), { locked: true, value: 'free' });
});

test('a lock left by a dead holder is taken over once stale', async (t) => {
  const file = record(tempDir(t));
  mkdirSync(recordLockPath(file));
  const old = new Date(Date.now() - 60_000);
  utimesSync(recordLockPath(file), old, old);
  assert.deepEqual(tryWithRecordLockSync(file, () => 'sync', { staleMs: 10_000 }), { locked: true, value: 'sync' });
  mkdirSync(recordLockPath(file));
  utimesSync(recordLockPath(file), old, old);
  assert.equal(await withRecordLock(file, () => 'async', { waitMs: 100 }), 'async');
  // A fresh lock is not taken over.
  mkdirSync(recordLockPath(file));
  assert.deepEqual(tryWithRecordLockSync(file, () => 'sync'), { locked: false });
});

test('a lock lost while held is reported as an error, not a process crash', async (t) => {
  const file = record(tempDir(t));
  let assertHeldError: unknown;
  await assert.rejects(
    withRecordLock(
      file,
      async (lock) => {
        rmSync(lock.lockPath, { recursive: true }); // someone removed our lock
        await sleep(1_500); // the refresh (every staleMs / 2 = 1 s) notices
        try {
          lock.assertHeld();
        } catch (error) {
          assertHeldError = error;
        }
        return 'done';
      },
      { staleMs: 2_000 },
    ),
    (error: unknown) => {
      assert.ok(isCaptainError(error));
      assert.equal(error.code, 'LOCK_TIMEOUT');
      assert.equal(error.data?.['reason'], 'compromised');
      assert.match(error.message, /d1\.json: the record lock was lost while held/);
      return true;
    },
  );
  assert.ok(isCaptainError(assertHeldError), 'assertHeld threw inside the callback');
});

test('a lock that cannot be created (missing folder) is an IO error, not a wait', async (t) => {
  const file = join(tempDir(t), 'missing', 'd1.json');
  assert.throws(() => tryWithRecordLockSync(file, () => 1), (error: unknown) => isCaptainError(error) && error.code === 'IO');
  await assert.rejects(withRecordLock(file, () => 1), (error: unknown) => isCaptainError(error) && error.code === 'IO' && /missing\/d1\.json/.test(error.message));
});
