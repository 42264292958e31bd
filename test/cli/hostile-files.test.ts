/**
 * Files a run should not contain, and that an audit put there anyway: FIFOs, devices, directories
 * and dangling symlinks named like records or raw events, symlinks that lead writes out of the run,
 * a 100,000-level deep record. Every command stays responsive, reports each with its path and
 * reason, never echoes a foreign file's content, and writes nothing outside the run.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { makeTempRun } from '../helpers/run-dir.js';
import { runCaptain } from '../helpers/cli.js';

const T = 20_000; // every command must answer well within this

describe('hostile files in a run directory', () => {
  const run = makeTempRun();
  const outside = mkdtempSync(join(tmpdir(), 'captain-outside-'));
  after(() => {
    run.remove();
    rmSync(outside, { recursive: true, force: true });
  });
  const delegations = join(run.runDir, 'delegations');
  const secret = join(outside, 'secret.json');
  writeFileSync(secret, JSON.stringify({ delegation_id: 'secret', task_card_id: 'card-1', token: 'TOP-SECRET-VALUE', child_agent: { status: 'running' }, worker_lifecycle: { state: 'running_active', last_progress_at: formatRfc3339(Date.now() - 600_000) } }));
  const secretBefore = readFileSync(secret, 'utf8');

  execFileSync('mkfifo', [join(delegations, 'fifo.json')]);
  symlinkSync('/dev/zero', join(delegations, 'zero.json'));
  symlinkSync('/dev/urandom', join(delegations, 'urandom.json'));
  symlinkSync(join(outside, 'nothing-here.json'), join(delegations, 'dangling.json'));
  mkdirSync(join(delegations, 'folder.json'));
  symlinkSync(secret, join(delegations, 'linked.json'));
  writeFileSync(join(delegations, 'deep.json'), `{"delegation_id":"deep","task_card_id":"card-1","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  run.writeDelegation(runningDelegation('good', { child: { status: 'completed' } }));
  // A running worker whose raw events file is a FIFO, and one whose raw events are /dev/zero.
  run.writeDelegation(runningDelegation('fifo-raw', { lifecycle: { last_progress_at: formatRfc3339(Date.now()) } }));
  execFileSync('mkfifo', [join(run.runDir, 'raw-events', 'fifo-raw.jsonl')]);
  run.writeDelegation(runningDelegation('zero-raw', { lifecycle: { last_progress_at: formatRfc3339(Date.now()) } }));
  symlinkSync('/dev/zero', join(run.runDir, 'raw-events', 'zero-raw.jsonl'));

  const errorsOf = (stdout: string): Array<{ path: string; reason: string }> => (JSON.parse(stdout) as { errors: Array<{ path: string; reason: string }> }).errors;

  for (const args of [['status', '--json'], ['status', '--json', '--snapshot']]) {
    it(`${args.join(' ')} answers at once and reports every hostile file by path and reason`, () => {
      const started = Date.now();
      const result = runCaptain([...args, '--run-dir', run.runDir], { timeoutMs: T });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(Date.now() - started < T, 'no hang');
      const errors = errorsOf(result.stdout);
      const byFile = new Map(errors.map((e) => [e.path.split('/').pop(), e.reason]));
      assert.match(byFile.get('fifo.json') ?? '', /a FIFO/);
      assert.match(byFile.get('zero.json') ?? '', /a character device/);
      assert.match(byFile.get('urandom.json') ?? '', /a character device/);
      assert.match(byFile.get('dangling.json') ?? '', /symbolic link whose target does not exist/);
      assert.match(byFile.get('folder.json') ?? '', /a directory/);
      assert.match(byFile.get('deep.json') ?? '', /nested more than \d+ levels deep/);
      if (!args.includes('--snapshot')) {
        assert.match(byFile.get('fifo-raw.json') ?? '', /raw-events\/fifo-raw\.jsonl: the raw events file is a FIFO/);
        assert.match(byFile.get('zero-raw.json') ?? '', /resolves to \/dev\/zero, outside the run directory/);
      }
      assert.ok(!result.stdout.includes('TOP-SECRET') || result.stdout.includes('"secret"'), 'content of a foreign file is not echoed in errors');
      for (const e of errors) assert.ok(!e.reason.includes('TOP-SECRET'), e.reason);
    });
  }

  it('reclaim and fan-in finish, never write through the symlinked record, and report the rest', () => {
    const reclaim = runCaptain(['reclaim', '--json', '--run-dir', run.runDir, '--worker-kill-grace-ms', '100'], { timeoutMs: T });
    assert.equal(reclaim.code, 0, reclaim.stderr);
    const fanIn = runCaptain(['fan-in', '--json', '--run-dir', run.runDir], { timeoutMs: T });
    assert.ok(fanIn.code === 0 || fanIn.code === 1, fanIn.stderr);
    assert.doesNotMatch(fanIn.stderr, /Maximum call stack/);
    assert.equal(readFileSync(secret, 'utf8'), secretBefore, 'the file outside the run is untouched');
    const cancel = runCaptain(['cancel', '--run-dir', run.runDir, '--delegation', 'linked'], { timeoutMs: T });
    assert.equal(readFileSync(secret, 'utf8'), secretBefore, 'cancel did not write through the symlink');
    assert.notEqual(cancel.code, 0);
    assert.match(cancel.stderr, /outside the run directory/);
  });
});

describe('a symlinked delegations/ folder', () => {
  it('is read, but no record in it is rewritten and no lock is created outside', () => {
    const run = makeTempRun();
    const outside = mkdtempSync(join(tmpdir(), 'captain-outside-'));
    try {
      rmSync(join(run.runDir, 'delegations'), { recursive: true });
      symlinkSync(outside, join(run.runDir, 'delegations'));
      const record = runningDelegation('w', { lifecycle: { last_progress_at: formatRfc3339(Date.now() - 600_000) } });
      writeFileSync(join(outside, 'w.json'), JSON.stringify(record));
      run.writeRaw('w', '{"type":"thread.started","thread_id":"t"}\n');
      const before = readFileSync(join(outside, 'w.json'), 'utf8');
      const status = runCaptain(['status', '--json', '--run-dir', run.runDir], { timeoutMs: T });
      assert.equal(status.code, 0, status.stderr);
      runCaptain(['reclaim', '--json', '--run-dir', run.runDir], { timeoutMs: T });
      assert.equal(readFileSync(join(outside, 'w.json'), 'utf8'), before);
      assert.deepEqual(execFileSync('ls', ['-A', outside], { encoding: 'utf8' }).trim().split('\n'), ['w.json'], 'no lock or temp file outside');
    } finally {
      run.remove();
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
