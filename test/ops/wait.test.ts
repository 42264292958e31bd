/**
 * The library's wait and "supervise unless held": `superviseUnlessHeld` starts one supervisor per
 * run and no second; `waitForFanIn` supervises an unsupervised run with the caller's hooks, leaves
 * a supervised one alone, and stops on abort. Real workers, real temp runs.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitForFanIn } from '../../src/ops/wait.js';
import { cancelDelegation } from '../../src/ops/worker.js';
import type { RunEvent } from '../../src/store/events-log.js';
import { currentHolder, startSupervisor, superviseUnlessHeld } from '../../src/supervisor/index.js';
import { fixture, newRun, removeRuns } from '../supervisor/harness.js';

describe('waitForFanIn and superviseUnlessHeld', () => {
  after(removeRuns);

  it('superviseUnlessHeld: a supervisor when the run is free, null while one holds it, one again after it stops', async () => {
    const ctx = newRun('unless-held');
    const events: RunEvent[] = [];
    const first = await superviseUnlessHeld(ctx, { onEvent: (e) => events.push(e), command: 'test first' });
    assert.ok(first !== null);
    try {
      assert.equal(currentHolder(ctx.runDir)?.command, 'test first');
      assert.equal(await superviseUnlessHeld(ctx, { command: 'test second' }), null, 'held: no second supervisor');
    } finally {
      await first.stop();
    }
    assert.equal(currentHolder(ctx.runDir), null);
    // Racing starters: one wins, the others get null (never an error).
    const racers = await Promise.all([1, 2, 3].map((i) => superviseUnlessHeld(ctx, { command: `racer ${i}` })));
    const winners = racers.filter((s) => s !== null);
    assert.equal(winners.length, 1, 'one of three racers supervises');
    await winners[0]!.stop();
  });

  it('supervises an unsupervised run with the caller\'s onEvent, and drives it to fan-in', async () => {
    const ctx = newRun('wait-hooks');
    const worker = await fixture(ctx, 'emit-jsonl.mjs', ['2', '50']);
    const events: RunEvent[] = [];
    const result = await waitForFanIn(ctx, { timeoutMs: 20_000, onEvent: (e) => events.push(e) });
    assert.equal(result.outcome, 'completed');
    assert.ok(events.some((e) => e.event === 'worker_transition' && e.delegation_id === worker.delegation_id && e.to === 'returned'), JSON.stringify(events));
    assert.ok(events.some((e) => e.event === 'fan_in_collapsed'));
    assert.equal(currentHolder(ctx.runDir), null, 'the wait released the run');
  });

  it('leaves a run another supervisor holds alone (its hooks, not the waiter\'s, see the events)', async () => {
    const ctx = newRun('wait-held');
    await fixture(ctx, 'emit-jsonl.mjs', ['2', '50']);
    const holderEvents: RunEvent[] = [];
    const holder = await startSupervisor(ctx, { onEvent: (e) => holderEvents.push(e), command: 'the holder' });
    const waiterEvents: RunEvent[] = [];
    try {
      const result = await waitForFanIn(ctx, { timeoutMs: 20_000, onEvent: (e) => waiterEvents.push(e) });
      assert.equal(result.outcome, 'completed');
      assert.equal(currentHolder(ctx.runDir)?.command, 'the holder');
    } finally {
      await holder.stop();
    }
    assert.deepEqual(waiterEvents, []);
    assert.ok(holderEvents.some((e) => e.event === 'fan_in_collapsed'));
  });

  it('an abort ends the wait at once, as a timeout, and releases the run', async () => {
    const ctx = newRun('wait-abort');
    const worker = await fixture(ctx, 'hang.mjs');
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 300);
    const result = await waitForFanIn(ctx, { signal: abort.signal });
    assert.equal(result.outcome, 'timeout');
    assert.ok(Date.now() - started < 5_000, `ended ${Date.now() - started} ms after the start`);
    assert.equal(currentHolder(ctx.runDir), null);
    await cancelDelegation(ctx, worker.delegation_id);
  });
});
