import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runningDelegation } from '../helpers/records.js';
import { CODEX_OK_STREAM, makeTempRun } from '../helpers/run-dir.js';
import { runCaptain } from '../helpers/cli.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { tmpdir } from 'node:os';

describe('captain CLI: status, reclaim, fan-in', () => {
  const run = makeTempRun();
  after(() => run.remove());
  const now = Date.now();
  run.writeDelegation(runningDelegation('w-done', { child: { status: 'completed' }, top: { worker_result: { thread_id: 'th-1' } } }));
  run.writeDelegation(runningDelegation('w-stuck', { lifecycle: { last_progress_at: formatRfc3339(now - 600_000) } }));
  run.writeDelegation(runningDelegation('w-live', { lifecycle: { last_progress_at: formatRfc3339(now + 60_000) } }));
  run.writeRaw('w-live', CODEX_OK_STREAM.split('\n')[0] + '\n');

  it('--help works on every command and exits 0', () => {
    for (const command of ['', 'status', 'reclaim', 'fan-in', 'start', 'task', 'runs', 'delegate', 'cancel', 'result', 'logs']) {
      const result = runCaptain(command === '' ? ['--help'] : [command, '--help']);
      assert.equal(result.code, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, /Usage: captain/);
    }
  });

  it('usage errors exit 2; operational errors exit 1 with a hint', () => {
    const noWorkspace = runCaptain(['status'], { cwd: tmpdir() });
    assert.equal(noWorkspace.code, 2, 'no --run-dir and no workspace to default to');
    assert.match(noWorkspace.stderr, /no \.captain\/ folder in .* or above; pass --run-dir DIR/);
    assert.equal(runCaptain(['no-such-command']).code, 2);
    assert.equal(runCaptain(['status', '--run-dir', run.runDir, '--bogus']).code, 2);
    const missing = runCaptain(['status', '--run-dir', '/nonexistent/run']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\/nonexistent\/run/);
    assert.match(missing.stderr, /hint:/);
  });

  it('a bad runtime value is an error naming the flag or variable', () => {
    const flag = runCaptain(['status', '--run-dir', run.runDir, '--worker-stuck-after-ms', '-3']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /--worker-stuck-after-ms = -3; expected a positive integer/);
    const env = runCaptain(['status', '--run-dir', run.runDir], { env: { CAPTAIN_WORKER_STUK_AFTER_MS: '5' } });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /CAPTAIN_WORKER_STUK_AFTER_MS.*did you mean CAPTAIN_WORKER_STUCK_AFTER_MS/);
    const ok = runCaptain(['status', '--run-dir', run.runDir, '--json', '--snapshot'], { env: { CAPTAIN_WORKER_STUCK_AFTER_MS: '1000' } });
    assert.equal(JSON.parse(ok.stdout).worker_visibility.workers[0].worker_lifecycle.stale_after_ms, 1000, 'the env threshold applies');
  });

  it('status --json has the documented shape; --snapshot and ccc-run: refs work', () => {
    const result = runCaptain(['status', '--run-dir', `ccc-run:${run.runDir}`, '--json', '--snapshot']);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(status).sort(), ['errors', 'reclaim_plan', 'run_dir', 'run_usage', 'task_card_id', 'usage', 'worker_visibility']);
    assert.equal(status.task_card_id, 'card-1');
    assert.equal(status.worker_visibility.total_worker_count, 3);
    assert.equal(status.reclaim_plan.reclaim_needed_worker_count, 1);
    assert.equal(status.reclaim_plan.targets[0].delegation_id, 'w-stuck');
  });

  it('status text is a table with thresholds and a next step', () => {
    const result = runCaptain(['status', '--run-dir', run.runDir, '--snapshot']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /TITLE\s+STATE\s+AGE\s+NOTE\s+DELEGATION/);
    assert.match(result.stdout, /worker w-stuck\s+timed_out\s+10m 0\ds\s+reclaim_needed\s+w-stuck/);
    assert.match(result.stdout, /22\.5 s \/ 45\.0 s \/ 45\.0 s/);
    assert.match(result.stdout, /next: captain reclaim/);
    assert.doesNotMatch(result.stdout, /\u001b\[/, 'no colour when stdout is not a TTY');
  });

  it('reclaim --dry-run, reclaim, then fan-in refuses while a worker is active', () => {
    const dry = runCaptain(['reclaim', '--run-dir', run.runDir, '--dry-run', '--json']);
    assert.equal(JSON.parse(dry.stdout).reclaimed[0].termination, 'would_reclaim');
    const real = runCaptain(['reclaim', '--run-dir', run.runDir]);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /reclaimed w-stuck \(timed_out, pid unknown\): already_exited/);
    const fanIn = runCaptain(['fan-in', '--run-dir', run.runDir]);
    assert.equal(fanIn.code, 0);
    assert.match(fanIn.stdout, /not ready: 1 worker\(s\) still active\nstill active: w-live/);
  });
});
