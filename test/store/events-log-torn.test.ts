/**
 * `events.jsonl` on a full disk: an append is a whole line or nothing, and a torn tail never
 * swallows the next event. On a real 64 KiB tmpfs (mounted here; skipped when mounting is not
 * allowed), so the short write is the kernel's own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCaptainError } from '../../src/errors.js';
import { appendRunEvent, readRunEvents } from '../../src/store/events-log.js';
import { tempDir } from './helpers.js';
import { fillDisk } from '../helpers/disk.js';

const event = (n: number, padding = 0) => ({ event: 'worker_transition', at: '2026-12-02T00:00:00.000Z', n, pad: 'x'.repeat(padding) });
const numbers = (runDir: string): number[] => readRunEvents(runDir, 0, { limit: 10_000 }).events.map((e) => e['n'] as number);


test('on a full tmpfs, an append that does not fit leaves nothing, and the next one (after space is freed) is whole', (t) => {
  const mount = mkdtempSync(join(tmpdir(), 'captain-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]);
  t.after(() => {
    if (mounted.status === 0) spawnSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${mounted.stderr.toString().trim()})`);
    return;
  }
  const runDir = join(mount, 'run');
  mkdirSync(runDir);
  appendRunEvent(runDir, event(1));
  appendRunEvent(runDir, event(2));
  const before = readFileSync(join(runDir, 'events.jsonl'));
  const filler = fillDisk(mount);
  // Its last page has room for ~4000 bytes, not 6000: the kernel writes part of the line.
  assert.throws(() => appendRunEvent(runDir, event(3, 6_000)), (error: unknown) => {
    assert.ok(isCaptainError(error));
    assert.equal(error.code, 'IO');
    assert.match(error.message, /events\.jsonl: could not append .*short write: \d+ of \d+ bytes.*nothing of the line was kept/);
    t.diagnostic(error.message);
    return true;
  });
  assert.deepEqual(readFileSync(join(runDir, 'events.jsonl')), before, 'a part of the line was left in the log');
  assert.deepEqual(numbers(runDir), [1, 2]);
  rmSync(filler);
  appendRunEvent(runDir, event(4));
  assert.deepEqual(numbers(runDir), [1, 2, 4], 'the next event was glued to a torn line');
});

test('a torn tail (a crash mid-append) is ended before the next append: no event is lost, a tail missing only its newline is kept', (t) => {
  const runDir = tempDir(t);
  appendRunEvent(runDir, event(1));
  appendFileSync(join(runDir, 'events.jsonl'), '{"event":"worker_transition","n":2,"at":"2026-12-0');
  assert.deepEqual(numbers(runDir), [1], 'readers skip a partial last line without error');
  appendRunEvent(runDir, event(3));
  assert.deepEqual(numbers(runDir), [1, 3]);
  // A line cut exactly before its newline is a whole event: it is kept.
  appendFileSync(join(runDir, 'events.jsonl'), JSON.stringify(event(4)));
  appendRunEvent(runDir, event(5));
  assert.deepEqual(numbers(runDir), [1, 3, 4, 5]);
  // Cursors stay consistent: reading after event 3 gives 4 and 5.
  const page = readRunEvents(runDir, 0, { limit: 2 });
  assert.deepEqual(readRunEvents(runDir, page.next_cursor).events.map((e) => e['n']), [4, 5]);
});

test('events.jsonl as a FIFO: appends and reads fail with an error naming it, never hang', (t) => {
  const runDir = tempDir(t);
  spawnSync('mkfifo', [join(runDir, 'events.jsonl')]);
  assert.throws(() => appendRunEvent(runDir, event(1)), /events\.jsonl: could not append/);
  assert.throws(() => readRunEvents(runDir), /events\.jsonl: a FIFO \(named pipe\), not a regular file/);
});
