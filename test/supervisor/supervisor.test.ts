/**
 * The supervisor against real workers (fixture programs launched through captain's own monitor),
 * in-process and as a real `captain supervise` process that is SIGKILLed and restarted.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import { delegate } from '../../src/ops/delegate.js';
import { cancelDelegation, findDelegation } from '../../src/ops/worker.js';
import { currentHolder, startSupervisor } from '../../src/supervisor/index.js';
import type { JsonObject } from '../../src/util/json.js';
import { CLI, runCaptain } from '../helpers/cli.js';
import { fixturePath, procAlive, sleep, waitFor } from '../helpers/worker-harness.js';
import { assertLogExact, CONFIG, events, fannedIn, fixture, FLAGS, groupAlive, newRun, records, removeRuns } from './harness.js';

describe('supervisor', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });
  after(removeRuns);

  it('reclaims a hung worker, leaves a resuming one alone, retries a crash once, then fans in', async () => {
    const ctx = newRun('mixed');
    const hang = await fixture(ctx, 'hang.mjs');
    const resume = await fixture(ctx, 'quiet-then-resume.mjs', ['900']);
    const crash = await fixture(ctx, 'crash.mjs');
    const supervisor = await startSupervisor(ctx, {});
    try {
      await waitFor(() => fannedIn(ctx), 'fan-in', 15_000);
    } finally {
      await supervisor.stop();
    }
    const byId = (id: string) => findDelegation(ctx, id).record;
    const hangLifecycle = byId(hang.delegation_id).worker_lifecycle as JsonObject;
    assert.equal(hangLifecycle.reclaim_state, 'reclaimed');
    assert.ok(!procAlive(Number(hangLifecycle.process_id)), 'the hung worker is gone');
    assert.ok(!groupAlive(Number(hangLifecycle.process_group_id)), 'its whole process group is gone');
    assert.equal(childStatusOf(byId(resume.delegation_id)), 'completed', 'the quiet worker resumed before stale and completed');
    const phases = events(ctx).filter((e) => e.delegation_id === resume.delegation_id && e.event === 'worker_transition').map((e) => e.to);
    assert.ok(phases.includes('running_quiet'), `quiet seen: ${phases.join(', ')}`);
    assert.ok(!phases.includes('stale') && !phases.includes('timed_out'));
    const crashRetry = String(byId(crash.delegation_id).retried_by);
    assert.equal((byId(crashRetry).worker_request as JsonObject).retry_of, crash.delegation_id);
    assert.equal(byId(crashRetry).retried_by, undefined, 'one retry only (max 1)');
    const fanIn = events(ctx).find((e) => e.event === 'fan_in_collapsed')!;
    assert.deepEqual([fanIn.completed, fanIn.failed, fanIn.cancelled], [1, 4, 0], 'resume ok; hang + its retry reclaimed; crash + its retry failed');
    assertLogExact(ctx);
  });

  it('a second supervisor is refused, naming the holder; a SIGKILLed holder does not block a restart', async () => {
    const ctx = newRun('single');
    const first = spawn(process.execPath, [CLI, 'supervise', '--run-dir', ctx.runDir, ...FLAGS], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(first);
    await waitFor(() => currentHolder(ctx.runDir)?.pid === first.pid, 'the slot to be held', 5_000);
    const refused = runCaptain(['supervise', '--run-dir', ctx.runDir]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`already supervised by pid ${first.pid}`));
    first.kill('SIGKILL');
    await waitFor(() => first.exitCode !== null || first.signalCode !== null, 'the first supervisor to die');
    const second = await startSupervisor(ctx, {});
    await second.stop();
  });

  it('crash-only: SIGKILL the supervisor again and again mid-run; nothing is lost or duplicated', async () => {
    const ctx = newRun('crash-only');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await fixture(ctx, 'emit-jsonl.mjs', ['6', '250'])).delegation_id);
    ids.push((await fixture(ctx, 'crash.mjs')).delegation_id);
    ids.push((await fixture(ctx, 'hang.mjs')).delegation_id);
    let kills = 0;
    const deadline = Date.now() + 25_000;
    while (!fannedIn(ctx) && Date.now() < deadline) {
      const sup = spawn(process.execPath, [CLI, 'supervise', '--run-dir', ctx.runDir, ...FLAGS], { stdio: 'ignore' });
      children.push(sup);
      await sleep(300 + ((kills * 317) % 700));
      sup.kill('SIGKILL');
      await new Promise((r) => sup.once('exit', r));
      kills += 1;
    }
    if (!fannedIn(ctx)) {
      // Let a last supervisor finish the job cleanly.
      const last = await startSupervisor(ctx, {});
      await waitFor(() => fannedIn(ctx), 'fan-in after the kills', 15_000);
      await last.stop();
    }
    assert.ok(kills >= 3, `the supervisor was killed ${kills} times`);
    assertLogExact(ctx);
    const all = records(ctx);
    assert.ok(all.every((r) => ['completed', 'failed', 'cancelled'].includes(childStatusOf(r))), 'every worker ended');
    for (const id of ids) {
      const phases = events(ctx).filter((e) => e.delegation_id === id && e.event === 'worker_transition').map((e) => String(e.to));
      assert.ok(['returned', 'failed', 'reclaimed'].includes(phases.at(-1) ?? ''), `${id} logged its end: ${phases.join(' -> ')}`);
    }
    const retries = all.filter((r) => (r.worker_request as JsonObject).retry_of !== null);
    assert.equal(retries.length, 2, 'the crash and the hang were each retried once');
  });

  it('a SIGKILLed worker monitor: the supervisor still finalizes the worker when it exits', async () => {
    const ctx = newRun('monitor-kill');
    // A codex-style stream (so its turn.completed decides the outcome, not the exit code nobody saw).
    const worker = await delegate(ctx, { kind: 'codex', command: [process.execPath, fixturePath('emit-jsonl.mjs'), '8', '150'], cwd: ctx.runDir });
    await waitFor(() => (findDelegation(ctx, worker.delegation_id).record.worker_lifecycle as JsonObject).process_id !== null, 'the worker to start');
    const monitorPid = Number((findDelegation(ctx, worker.delegation_id).record.worker_lifecycle as JsonObject).monitor_process_id);
    process.kill(monitorPid, 'SIGKILL');
    const supervisor = await startSupervisor(ctx, {});
    try {
      await waitFor(() => childStatusOf(findDelegation(ctx, worker.delegation_id).record) !== 'running', 'the worker to be finalized', 10_000);
    } finally {
      await supervisor.stop();
    }
    const record = findDelegation(ctx, worker.delegation_id).record;
    assert.equal(childStatusOf(record), 'completed', JSON.stringify(record.worker_result));
  });

  it('max-parallel 8 with 50 workers: never more than 8 running, all 50 complete', async () => {
    // Thresholds far above a loaded machine's launch time: this is about slots, not stuck workers.
    // Each worker lives 1.5 s, longer than a launch takes on a loaded 2-core machine, so slots do fill.
    const ctx = newRun('parallel', { ...CONFIG, worker_stuck_after_ms: 15_000, worker_quiet_after_ms: 7_000 });
    for (let i = 0; i < 50; i++) {
      await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'setTimeout(()=>console.log("done"),1500)'], cwd: ctx.runDir, maxParallel: 8 });
    }
    let peak = 0;
    const supervisor = await startSupervisor(ctx, { maxParallel: 8 });
    try {
      const deadline = Date.now() + 60_000;
      while (!fannedIn(ctx) && Date.now() < deadline) {
        peak = Math.max(peak, records(ctx).filter((r) => childStatusOf(r) === 'running').length);
        await sleep(25);
      }
    } finally {
      await supervisor.stop();
    }
    assert.ok(fannedIn(ctx), 'fan-in');
    assert.ok(peak <= 8, `peak running ${peak}`);
    assert.ok(peak >= 4, `it did run in parallel (peak ${peak})`);
    assert.equal(records(ctx).filter((r) => childStatusOf(r) === 'completed').length, 50);
  });

  it('captain wait: progress lines, then the fan-in summary; exit 0 all completed, 3 failed or reclaimed, 4 timeout', async () => {
    const ok = newRun('wait-ok');
    const good = await fixture(ok, 'emit-jsonl.mjs', ['2', '50']);
    const done = runCaptain(['wait', '--run-dir', ok.runDir, ...FLAGS, '--timeout', '20']);
    assert.equal(done.code, 0, done.stdout + done.stderr);
    const lines = done.stdout.trim().split('\n');
    const summaryAt = lines.findIndex((l) => l.startsWith('fan-in collapsed at'));
    assert.ok(summaryAt >= 1, `progress lines come first:\n${done.stdout}`);
    for (let i = 1; i < summaryAt; i++) assert.notEqual(lines[i], lines[i - 1], 'one line per change, not per wake-up');
    assert.match(lines[summaryAt]!, /: 1 completed, 0 failed, 0 cancelled$/);
    assert.match(lines[summaryAt + 1]!, new RegExp(`^  ${good.delegation_id}  completed`));

    const bad = newRun('wait-bad');
    await fixture(bad, 'turn-failed.mjs');
    const failed = runCaptain(['wait', '--run-dir', bad.runDir, ...FLAGS, '--worker-max-retries-per-phase', '0', '--timeout', '20']);
    assert.equal(failed.code, 3, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /fan-in collapsed at .*: 0 completed, 1 failed/);

    const stuck = newRun('wait-reclaimed');
    const hang = await fixture(stuck, 'hang.mjs');
    const reclaimed = runCaptain(['wait', '--run-dir', stuck.runDir, ...FLAGS, '--worker-max-retries-per-phase', '0', '--timeout', '20', '--json']);
    assert.equal(reclaimed.code, 3, reclaimed.stdout + reclaimed.stderr);
    const result = JSON.parse(reclaimed.stdout) as { outcome: string; workers: Array<{ delegation_id: string; state: string }> };
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(result.workers.map((w) => [w.delegation_id, w.state]), [[hang.delegation_id, 'reclaimed']]);

    const slow = newRun('wait-timeout');
    const long = await fixture(slow, 'emit-jsonl.mjs', ['100', '100']);
    const timeout = runCaptain(['wait', '--run-dir', slow.runDir, '--timeout', '1']);
    assert.equal(timeout.code, 4);
    assert.match(timeout.stdout, /timed out before fan-in/);
    await cancelDelegation(slow, long.delegation_id);
  });
});
