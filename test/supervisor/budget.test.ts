/**
 * Run budgets with a real `captain supervise` process: fixture codex workers (emit-jsonl.mjs prints
 * codex's stream with 110 tokens of usage) and hung commands. Once the run's tokens reach max_tokens,
 * nothing new launches (queued ones stay queued saying why, in the record and in `captain status`),
 * one `budget_exceeded` entry is logged and fires its hook, and with `budget_action = cancel` the
 * running workers are cancelled through the cancel op (intent first). A raised budget releases them.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import { setBudget } from '../../src/ops/budget.js';
import type { RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import { updateJsonRecord } from '../../src/store/update-record.js';
import { runLayout } from '../../src/store/paths.js';
import type { JsonObject } from '../../src/util/json.js';
import { runCaptain } from '../helpers/cli.js';
import { fixturePath, sleep, waitFor } from '../helpers/worker-harness.js';
import { events, exitOf, fannedIn, fixture, newRun, records, removeRuns, spawnSupervise } from './harness.js';

const RECORD_HOOK = fileURLToPath(new URL('../fixtures/hooks/record-hook.mjs', import.meta.url));
after(removeRuns);

/** A codex-shaped worker that ends at once with 110 tokens of usage. */
const tokenWorker = (ctx: RunContext, maxParallel?: number) =>
  delegate(ctx, { kind: 'codex', prompt: 'spend', cwd: ctx.runDir, command: [process.execPath, fixturePath('emit-jsonl.mjs'), '1', '20'], ...(maxParallel === undefined ? {} : { maxParallel }) });
const setRunBudget = (ctx: RunContext, budget: JsonObject) => updateJsonRecord(runLayout(ctx.runDir).runJson, (run) => ({ ...run, ...budget }));
const byId = (ctx: RunContext, id: string): JsonObject => records(ctx).find((r) => r.delegation_id === id) as JsonObject;
const budgetEvents = (ctx: RunContext) => events(ctx).filter((e) => e.event === 'budget_exceeded');
const lifecycle = (record: JsonObject): JsonObject => record.worker_lifecycle as JsonObject;

describe('run budgets under captain supervise', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await exitOf(c);
    }
  });

  it('hold: once max_tokens is reached queued workers stay queued (saying why), one budget_exceeded fires its hook; a raised budget releases them', async () => {
    const ctx = newRun('budget-hold');
    await setRunBudget(ctx, { max_tokens: 200 });
    const out = join(ctx.runDir, '..', 'hook-calls.jsonl');
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) ids.push((await tokenWorker(ctx, 1)).delegation_id);
    const supervisor = spawnSupervise(ctx, ['--max-parallel', '1', '--hook', `budget_exceeded=${JSON.stringify([process.execPath, RECORD_HOOK, out])}`]);
    children.push(supervisor);
    await waitFor(() => budgetEvents(ctx).length > 0, 'budget_exceeded', 20_000);
    await sleep(2_500); // more passes (the hold re-check runs every 2 s): nothing launches, nothing is logged again
    const statuses = ids.map((id) => childStatusOf(byId(ctx, id)));
    assert.deepEqual([...statuses].sort(), ['completed', 'completed', 'queued', 'queued'], '110 + 110 tokens reach 200: the other two never launch');
    const held = ids.filter((id) => childStatusOf(byId(ctx, id)) === 'queued');
    for (const id of held) assert.equal(lifecycle(byId(ctx, id)).hold_reason, 'run budget reached: tokens 220 ≥ max_tokens 200');
    const [event, ...more] = budgetEvents(ctx);
    assert.equal(more.length, 0, 'one budget_exceeded entry');
    assert.deepEqual([event?.total_tokens, event?.max_tokens, event?.budget_action, event?.reached], [220, 200, 'hold', ['max_tokens']]);
    await waitFor(() => existsSync(out), 'the budget_exceeded hook', 10_000);
    const calls = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JsonObject);
    assert.deepEqual(calls.map((c) => c.event), ['budget_exceeded']);

    const status = runCaptain(['status', '--run-dir', ctx.runDir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /run budget reached: tokens 220/, 'status shows why the queued workers wait');
    // A new delegation while the budget is reached is queued, not launched, even without max-parallel.
    const late = await tokenWorker(ctx);
    assert.equal(late.state, 'queued');

    await setBudget(ctx, { maxTokens: 100_000 });
    await waitFor(() => fannedIn(ctx), 'the held workers to run once the budget is raised', 20_000);
    assert.deepEqual([...ids, late.delegation_id].map((id) => childStatusOf(byId(ctx, id))), ['completed', 'completed', 'completed', 'completed', 'completed']);
    for (const id of held) assert.equal(lifecycle(byId(ctx, id)).hold_reason, undefined, 'the hold reason goes with the launch');
    assert.equal(budgetEvents(ctx).length, 1);
  });

  it('cancel: once max_tokens is reached the running workers are cancelled through the cancel op', async () => {
    const ctx = newRun('budget-cancel');
    await setRunBudget(ctx, { max_tokens: 100, budget_action: 'cancel' });
    const hung = await fixture(ctx, 'hang.mjs');
    const spender = await tokenWorker(ctx);
    const supervisor = spawnSupervise(ctx);
    children.push(supervisor);
    await waitFor(() => childStatusOf(byId(ctx, hung.delegation_id)) === 'cancelled', 'the running worker cancelled', 20_000);
    assert.equal(childStatusOf(byId(ctx, spender.delegation_id)), 'completed');
    const life = lifecycle(byId(ctx, hung.delegation_id));
    assert.ok(typeof life.cancel_requested_at === 'string', 'the cancel intent was recorded first');
    assert.match(String(life.cancel_reason), /^run budget reached: tokens 110 ≥ max_tokens 100$/);
    await waitFor(() => fannedIn(ctx), 'fan-in', 10_000);
    assert.equal(budgetEvents(ctx).length, 1);
    assert.equal(budgetEvents(ctx)[0]?.budget_action, 'cancel');
    assert.ok(!events(ctx).some((e) => e.event === 'worker_retried'), 'a cancelled worker is never retried');
  });

  it('captain start --max-tokens / --budget-action and captain budget (show, change, bad values)', () => {
    const ctx = newRun('budget-cli');
    const dir = join(ctx.runDir, '..', 'started');
    const start = runCaptain(['start', '--title', 't', '--run-dir', dir, '--max-tokens', '5000', '--max-cost-usd', '1.5', '--budget-action', 'cancel', '--json']);
    assert.equal(start.code, 0, start.stderr);
    const show = runCaptain(['budget', '--run-dir', dir, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const report = JSON.parse(show.stdout) as JsonObject;
    assert.deepEqual([report.max_tokens, report.max_cost_usd, report.budget_action, report.exceeded, report.total_tokens], [5000, 1.5, 'cancel', false, 0]);
    const changed = runCaptain(['budget', '--run-dir', dir, '--max-tokens', 'none', '--budget-action', 'hold', '--json']);
    assert.equal(changed.code, 0, changed.stderr);
    assert.deepEqual([(JSON.parse(changed.stdout) as JsonObject).max_tokens, (JSON.parse(changed.stdout) as JsonObject).budget_action], [null, 'hold']);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as JsonObject;
    assert.deepEqual([run.max_tokens, run.max_cost_usd, run.budget_action, run.title], [undefined, 1.5, 'hold', 't'], 'other keys kept');
    const bad = runCaptain(['budget', '--run-dir', dir, '--max-tokens', '-3']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-tokens -3: expected a positive integer/);
  });
});
