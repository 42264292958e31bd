/**
 * One supervisor per run, across real processes: concurrent starters against a dead holder (exactly
 * one wins), `supervise --detach` (returns once the background process holds the run; a second is
 * refused), and `waitForFanIn` taking over when the supervisor it relied on is SIGKILLed.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { waitForFanIn } from '../../src/ops/wait.js';
import { currentHolder, supervisorFile } from '../../src/supervisor/index.js';
import { CLI, runCaptain } from '../helpers/cli.js';
import { sleep, waitFor } from '../helpers/worker-harness.js';
import type { JsonObject } from '../../src/util/json.js';
import { assertLogExact, CONFIG, exitOf, fixture, FLAGS, newRun, records, removeRuns, spawnSupervise } from './harness.js';

/** A pid that is certainly dead now: a process that already exited. */
const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await exitOf(child);
  return child.pid!;
};

describe('supervisor slot', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(removeRuns);

  it('four supervisors started at once over a dead holder: exactly one wins, the others name it', async () => {
    const ctx = newRun('race');
    const pid = await deadPid();
    writeFileSync(supervisorFile(ctx.runDir), JSON.stringify({ pid, identity: null, started_at: new Date().toISOString(), command: 'dead' }));
    const racers = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [CLI, 'supervise', '--run-dir', ctx.runDir, ...FLAGS], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return { child, stderr: () => stderr };
    });
    await waitFor(() => racers.filter((r) => r.child.exitCode !== null).length === 3, 'three racers to be refused', 10_000);
    await sleep(300); // a fourth refusal (two winners) would show by now
    const winners = racers.filter((r) => r.child.exitCode === null);
    assert.equal(winners.length, 1, 'one supervisor holds the run');
    assert.equal(currentHolder(ctx.runDir)?.pid, winners[0]!.child.pid);
    for (const loser of racers.filter((r) => r.child.exitCode !== null)) {
      assert.equal(loser.child.exitCode, 2);
      assert.match(loser.stderr(), new RegExp(`already supervised by pid ${winners[0]!.child.pid} \\(captain supervise .*, since `));
    }
    winners[0]!.child.kill('SIGTERM');
    assert.equal(await exitOf(winners[0]!.child), 0, 'a clean stop');
    assert.ok(!existsSync(supervisorFile(ctx.runDir)), 'a clean stop releases the run');
  });

  it('supervise --detach returns once the background supervisor holds the run; a second is refused', async () => {
    const ctx = newRun('detach');
    const started = runCaptain(['supervise', '--run-dir', ctx.runDir, ...FLAGS, '--detach', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const { pid } = JSON.parse(started.stdout) as { pid: number };
    try {
      assert.equal(currentHolder(ctx.runDir)?.pid, pid, 'held by the background process when detach returns');
      const again = runCaptain(['supervise', '--run-dir', ctx.runDir, '--detach']);
      assert.equal(again.code, 2);
      assert.match(again.stderr, new RegExp(`already supervised by pid ${pid}`));
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    await waitFor(() => !existsSync(supervisorFile(ctx.runDir)), 'the detached supervisor to stop and release the run');
  });

  it('wait takes over when the supervisor it relied on is SIGKILLed', async () => {
    // Nothing here should go stale: a 10 s threshold keeps a worker slowed by a loaded machine from being reclaimed.
    const ctx = newRun('takeover', { ...CONFIG, worker_stuck_after_ms: 10_000 });
    await fixture(ctx, 'emit-jsonl.mjs', ['8', '150']);
    await fixture(ctx, 'crash.mjs');
    const sup = spawnSupervise(ctx, ['--worker-stuck-after-ms', '10000']);
    children.push(sup);
    await waitFor(() => currentHolder(ctx.runDir)?.pid === sup.pid, 'the supervisor to hold the run');
    const waiting = waitForFanIn(ctx, { timeoutMs: 15_000 });
    await sleep(400);
    sup.kill('SIGKILL');
    const result = await waiting;
    assert.equal(result.outcome, 'failed', JSON.stringify(result.workers));
    assert.deepEqual(
      result.workers.map((w) => [w.state, w.attempt]).sort(),
      [['completed', 1], ['failed', 2]],
      `the crash retried once (by whichever supervisor), the other completed; records: ${JSON.stringify(
        records(ctx).map((r) => [r.delegation_id, (r.child_agent as JsonObject | undefined)?.status, r.latest_failure ?? null, r.retry_of ?? null]),
      )}`,
    );
    assertLogExact(ctx);
  });
});
