/**
 * Reliability: the supervisor SIGKILLed at 20 points between its durable writes (and worker
 * wrappers SIGKILLed mid-run), during runs of 8 mixed workers with retries. After a restart every
 * delegation is terminal, no transition in `events.jsonl` is lost or duplicated, no retry is
 * launched twice, fan-in is stamped and logged once, and no process of any worker is left.
 * Trials and failures are printed at the end (the README's reliability table).
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import type { RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import type { JsonObject } from '../../src/util/json.js';
import { CRASH_AT_ENV, currentHolder, startSupervisor } from '../../src/supervisor/index.js';
import { procAlive, sleep, waitFor } from '../helpers/worker-harness.js';
import { assertLogExact, events, exitOf, fannedIn, fixture, newRun, records, removeRuns, spawnSupervise } from '../supervisor/harness.js';

/** 8 workers: 2 that crash (each retried once, crashing again), 5 that succeed, 1 silent exit 0; 3 slots. */
const seedRun = async (title: string): Promise<RunContext> => {
  const ctx = newRun(title);
  await fixture(ctx, 'crash.mjs', [], { maxParallel: 3 });
  for (let i = 0; i < 5; i += 1) await fixture(ctx, 'emit-jsonl.mjs', ['3', '30'], { maxParallel: 3 });
  await fixture(ctx, 'crash.mjs', [], { maxParallel: 3 });
  await delegate(ctx, { kind: 'command', argv: ['sh', '-c', 'exit 0'], cwd: ctx.runDir, maxParallel: 3 });
  return ctx;
};

const finish = async (ctx: RunContext): Promise<void> => {
  assert.equal(currentHolder(ctx.runDir), null, 'a SIGKILLed holder does not hold the run');
  const supervisor = await startSupervisor(ctx, { maxParallel: 3 });
  try {
    await waitFor(() => fannedIn(ctx), 'fan-in after the restart', 30_000);
  } finally {
    await supervisor.stop();
  }
};

/** Every pid captain recorded for the run's workers and wrappers. */
const recordedPids = (ctx: RunContext): number[] =>
  records(ctx).flatMap((r) => {
    const l = (r.worker_lifecycle ?? {}) as JsonObject;
    return [l.process_id, l.monitor_process_id].filter((p): p is number => typeof p === 'number');
  });

const assertOutcome = async (ctx: RunContext): Promise<void> => {
  assertLogExact(ctx);
  const all = records(ctx);
  const described = all.map((r) => `${String(r.delegation_id)} ${childStatusOf(r)} retry_of=${String((r.worker_request as JsonObject).retry_of)} ${String(r.result_summary)}`).join('\n');
  assert.equal(all.length, 10, `8 delegations plus exactly one retry of each crash:\n${described}`);
  assert.ok(all.every((r) => ['completed', 'failed'].includes(childStatusOf(r))), `every delegation is terminal:\n${described}`);
  const fanIns = events(ctx).filter((e) => e.event === 'fan_in_collapsed');
  assert.equal(fanIns.length, 1);
  assert.deepEqual([fanIns[0]?.completed, fanIns[0]?.failed], [6, 4]);
  const stamps = new Set(all.map((r) => r.fan_in_collapsed_at));
  assert.equal(stamps.size, 1, 'one fan-in stamp on every record');
  await waitFor(() => recordedPids(ctx).every((pid) => !procAlive(pid)), 'no worker or wrapper process left', 5_000);
};

/** Whether `pid` is a worker wrapper (while launching, the record names the launching process instead). */
const isWrapper = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('captain-wrapper');
  } catch {
    return false;
  }
};

const POINTS = [
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => `transition_logged#${n}`),
  ...[1, 2, 3, 4].map((n) => `queued_launched#${n}`),
  'retry_created#1', 'retry_created#2', 'retry_stamped#1', 'retry_stamped#2', 'fan_in_stamped#1',
];
const tally = { trials: 0, killedAtPoint: 0, failures: 0 };

describe('reliability: supervisor SIGKILLed at 20 points', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(() => {
    removeRuns();
    process.stdout.write(`reliability: supervisor crash sweep: ${tally.trials} trials (${tally.killedAtPoint} killed at their point), ${tally.failures} failures\n`);
  });

  for (const point of POINTS) {
    it(`killed at ${point}`, async () => {
      tally.trials += 1;
      try {
        const ctx = await seedRun(point);
        const sup = spawnSupervise(ctx, ['--max-parallel', '3'], { [CRASH_AT_ENV]: point });
        children.push(sup);
        const exited = await Promise.race([exitOf(sup), waitFor(() => fannedIn(ctx), 'fan-in', 30_000).then(() => 'fanned-in' as const)]);
        if (exited === 'SIGKILL') tally.killedAtPoint += 1;
        if (exited === 'fanned-in') {
          sup.kill('SIGTERM');
          await exitOf(sup);
        } else {
          await finish(ctx);
        }
        await assertOutcome(ctx);
      } catch (error) {
        tally.failures += 1;
        throw error;
      }
    });
  }

  it('worker wrappers SIGKILLed mid-run: every delegation still ends, once', async () => {
    tally.trials += 1;
    try {
      const ctx = await seedRun('wrappers killed');
      const sup = spawnSupervise(ctx, ['--max-parallel', '3']);
      children.push(sup);
      // Kill the wrapper of every worker as soon as it runs, for the first few seconds.
      const killed = new Set<number>();
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline && !fannedIn(ctx)) {
        for (const r of records(ctx)) {
          const wrapper = (r.worker_lifecycle as JsonObject | undefined)?.monitor_process_id;
          if (typeof wrapper === 'number' && !killed.has(wrapper) && childStatusOf(r) === 'running' && isWrapper(wrapper)) {
            process.kill(wrapper, 'SIGKILL');
            killed.add(wrapper);
          }
        }
        await sleep(20);
      }
      await waitFor(() => fannedIn(ctx), 'fan-in with wrappers killed', 30_000);
      sup.kill('SIGTERM');
      await exitOf(sup);
      assertLogExact(ctx);
      const all = records(ctx);
      assert.ok(all.every((r) => ['completed', 'failed'].includes(childStatusOf(r))));
      // A worker whose wrapper died has no known exit status: never retried blindly.
      for (const r of all.filter((r) => (r.worker_result as JsonObject | undefined)?.failure_reason === 'exit_status_unknown')) {
        assert.equal(r.retried_by, undefined, `${String(r.delegation_id)} (exit status unknown) was not retried`);
      }
      assert.ok(killed.size > 0, 'some wrappers were killed');
      await waitFor(() => recordedPids(ctx).every((pid) => !procAlive(pid)), 'no process left', 5_000);
    } catch (error) {
      tally.failures += 1;
      throw error;
    }
  });
});
