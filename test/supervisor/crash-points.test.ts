/**
 * Crash-only at precise points: a real `captain supervise` process is SIGKILLed between two of its
 * durable writes (via CAPTAIN_SUPERVISOR_CRASH_AT, the supervisor killing itself), or by the test
 * during a retry backoff, and a new supervisor finishes the run. The event log must hold every
 * transition once, exactly one retry per failed delegation, and exactly one fan-in.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import type { RunContext } from '../../src/ops/context.js';
import { monitorCommand } from '../../src/ops/self-command.js';
import { findDelegation } from '../../src/ops/worker.js';
import { updateJsonRecord } from '../../src/store/update-record.js';
import type { JsonObject } from '../../src/util/json.js';
import { CRASH_AT_ENV, currentHolder, startSupervisor } from '../../src/supervisor/index.js';
import { waitFor } from '../helpers/worker-harness.js';
import { assertLogExact, events, exitOf, fannedIn, fixture, newRun, records, removeRuns, spawnSupervise } from './harness.js';

/** A crash (retried once, crashes again), then two quick successes, one slot: some wait queued. */
const seedRun = async (title: string): Promise<{ ctx: RunContext; crashId: string }> => {
  const ctx = newRun(title);
  const crash = await fixture(ctx, 'crash.mjs', [], { maxParallel: 1 });
  await fixture(ctx, 'emit-jsonl.mjs', ['3', '40'], { maxParallel: 1 });
  await fixture(ctx, 'emit-jsonl.mjs', ['3', '40'], { maxParallel: 1 });
  return { ctx, crashId: crash.delegation_id };
};

/** A fresh in-process supervisor takes over (the killed one must not block it) and runs to fan-in. */
const finish = async (ctx: RunContext): Promise<void> => {
  assert.equal(currentHolder(ctx.runDir), null, 'a SIGKILLed holder does not hold the run');
  const supervisor = await startSupervisor(ctx, { maxParallel: 1 });
  try {
    await waitFor(() => fannedIn(ctx), 'fan-in after the restart', 15_000);
  } finally {
    await supervisor.stop();
  }
};

const assertOutcome = (ctx: RunContext, crashId: string): void => {
  assertLogExact(ctx);
  const all = records(ctx);
  const described = all.map((r) => `${String(r.delegation_id)} ${childStatusOf(r)} retry_of=${String((r.worker_request as { retry_of?: unknown }).retry_of)} ${String(r.result_summary)}`);
  assert.equal(all.length, 4, `three delegations plus one retry, never two:\n${described.join('\n')}`);
  assert.ok(all.every((r) => ['completed', 'failed'].includes(childStatusOf(r))), 'every worker ended');
  const retry = all.find((r) => (r.worker_request as { retry_of?: unknown }).retry_of === crashId);
  assert.ok(retry !== undefined, 'the crash was retried');
  assert.equal(childStatusOf(retry), 'failed');
  const fanIn = events(ctx).find((e) => e.event === 'fan_in_collapsed')!;
  assert.deepEqual([fanIn.completed, fanIn.failed], [2, 2]);
};

describe('supervisor crash points', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  after(removeRuns);

  for (const point of ['transition_logged#3', 'queued_launched#2', 'retry_created', 'retry_stamped', 'fan_in_stamped']) {
    it(`killed at ${point}: restarted, nothing lost or duplicated`, async () => {
      const { ctx, crashId } = await seedRun(point);
      const sup = spawnSupervise(ctx, ['--max-parallel', '1'], { [CRASH_AT_ENV]: point });
      children.push(sup);
      assert.equal(await exitOf(sup), 'SIGKILL', `the supervisor reached ${point} and died there`);
      if (point === 'fan_in_stamped') {
        assert.ok(records(ctx).every((r) => typeof r.fan_in_collapsed_at === 'string'), 'the fan-in was stamped');
        assert.ok(!fannedIn(ctx), 'but not logged');
      }
      await finish(ctx);
      assertOutcome(ctx, crashId);
    });
  }

  it('a launch whose launcher died before starting the monitor is launched again, once, and a late first monitor is fenced out', async () => {
    const ctx = newRun('lost-launch');
    await fixture(ctx, 'emit-jsonl.mjs', ['1', '10'], { maxParallel: 1 });
    const lost = await fixture(ctx, 'emit-jsonl.mjs', ['2', '50'], { maxParallel: 1 });
    assert.equal(lost.state, 'queued');
    // What launchDelegation writes before it starts the monitor; its caller "dies" here.
    const oldGeneration = 'f00dfeedf00dfeed';
    await updateJsonRecord(lost.delegation_file, (r) => ({
      ...r,
      child_agent: { ...(r.child_agent as JsonObject), status: 'running' },
      executor: { ...(r.executor as JsonObject), status: 'running' },
      worker_lifecycle: { ...(r.worker_lifecycle as JsonObject), state: 'launching', launch_requested_at: new Date().toISOString(), last_progress_at: new Date().toISOString(), generation: oldGeneration },
    }));
    const supervisor = await startSupervisor(ctx, { maxParallel: 1 });
    try {
      await waitFor(() => fannedIn(ctx), 'fan-in', 15_000);
    } finally {
      await supervisor.stop();
    }
    const record = findDelegation(ctx, lost.delegation_id).record;
    assert.equal(childStatusOf(record), 'completed', String(record.result_summary));
    assert.equal((record.worker_lifecycle as JsonObject).relaunch_count, 1);
    assert.equal(events(ctx).filter((e) => e.event === 'worker_relaunched' && e.delegation_id === lost.delegation_id).length, 1);
    assert.ok(records(ctx).every((r) => (r.worker_request as JsonObject).retry_of === null), 'no retry: nothing failed');
    assertLogExact(ctx);
    // The first launch's monitor, had it only been slow, now finds its generation superseded.
    const self = monitorCommand();
    const late = spawn(self.file, [...self.args, ctx.runDir, lost.delegation_id, oldGeneration, '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    late.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    late.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    assert.equal(await exitOf(late), 0);
    assert.match(output, /no longer current/);
    assert.equal(childStatusOf(findDelegation(ctx, lost.delegation_id).record), 'completed', 'left as it was');
  });

  it('killed during a retry backoff: the retry happens once, after the restart', async () => {
    const { ctx, crashId } = await seedRun('backoff');
    const sup = spawnSupervise(ctx, ['--max-parallel', '1', '--worker-retry-backoff-ms', '1500']);
    children.push(sup);
    const crashFailed = (): boolean => events(ctx).some((e) => e.event === 'worker_transition' && e.delegation_id === crashId && e.to === 'failed');
    await waitFor(crashFailed, 'the crash to be logged failed', 10_000);
    sup.kill('SIGKILL');
    await exitOf(sup);
    assert.ok(!events(ctx).some((e) => e.event === 'worker_retried'), 'killed before the retry was due');
    await finish(ctx);
    assertOutcome(ctx, crashId);
  });
});
