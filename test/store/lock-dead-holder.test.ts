/**
 * A record lock whose holder died (SIGKILL) is broken at once, not after the 5 s staleness; breaking
 * is safe when several waiters race to break the same dead lock (only one wins).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordLockPath, tryWithRecordLockSync, withRecordLock } from '../../src/store/lock.js';
import { finished, spawnFixture, tempDir, waitForLine } from './helpers.js';

const record = (dir: string): string => {
  const file = join(dir, 'd1.json');
  writeFileSync(file, '{}\n');
  return file;
};

/** Leaves the lock of `file` held by a process that is then SIGKILLed. */
const lockLeftByKilledHolder = async (t: Parameters<typeof spawnFixture>[0], file: string): Promise<void> => {
  const holder = spawnFixture(t, 'hold-lock.ts', [file]);
  const done = finished(holder);
  await waitForLine(holder, 'locked');
  holder.kill('SIGKILL');
  await done;
  assert.ok(existsSync(recordLockPath(file)), 'the killed holder left its lock behind');
};

test('a lock left by a SIGKILLed holder is broken at once by withRecordLock and tryWithRecordLockSync', async (t) => {
  const file = record(tempDir(t));
  await lockLeftByKilledHolder(t, file);
  const started = performance.now();
  assert.equal(await withRecordLock(file, () => 'mine'), 'mine');
  const elapsed = performance.now() - started;
  t.diagnostic(`took over a dead holder's lock in ${elapsed.toFixed(1)} ms (staleness would take 5000 ms)`);
  assert.ok(elapsed < 1_000, `waited ${elapsed} ms for a dead holder's lock`);
  assert.equal(existsSync(recordLockPath(file)), false);

  await lockLeftByKilledHolder(t, file);
  assert.deepEqual(tryWithRecordLockSync(file, () => 'sync'), { locked: true, value: 'sync' });
});

test('a live holder is never broken: the waiter times out naming its pid', async (t) => {
  const file = record(tempDir(t));
  const holder = spawnFixture(t, 'hold-lock.ts', [file]);
  const done = finished(holder);
  await waitForLine(holder, 'locked');
  assert.deepEqual(tryWithRecordLockSync(file, () => 'x', { staleMs: 0 }), { locked: false });
  await assert.rejects(withRecordLock(file, () => 'x', { waitMs: 300, staleMs: 0 }), new RegExp(`pid ${holder.pid}, alive`));
  holder.stdin.end();
  assert.equal((await done).code, 0);
});

test('four processes racing to break dead holders\' locks (hundreds of times) never share the lock and lose no update', async (t) => {
  const dir = tempDir(t);
  const file = record(dir);
  writeFileSync(join(dir, 'counter'), '0');
  const dead = spawnSync('true');
  assert.ok(dead.pid !== undefined);
  await lockLeftByKilledHolder(t, file);
  const iterations = 150;
  const workers = [1, 2, 3, 4].map(() => finished(spawnFixture(t, 'lock-breaker.ts', [file, dir, String(iterations), String(dead.pid)])));
  // Let them all start (node start-up), then release them at once onto the dead holder's lock.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  writeFileSync(join(dir, 'go'), '');
  const results = await Promise.all(workers);
  for (const { code, stderr } of results) assert.equal(code, 0, stderr);
  const abandoned = results.reduce((sum, r) => sum + (JSON.parse(r.stdout) as { abandoned: number }).abandoned, 0);
  t.diagnostic(`4 x ${iterations} critical sections, ${abandoned} dead-holder locks broken in races`);
  assert.ok(abandoned > 50, 'too few races to prove anything');
  assert.equal(Number(readFileSync(join(dir, 'counter'), 'utf8')), 4 * iterations, 'an update was lost: two holders at once');
});
