/**
 * Shared pieces of the supervisor tests: short thresholds, temp runs, fixture delegations, readers of
 * events.jsonl and the records, and the "nothing lost, nothing duplicated" check of the event log.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { childStatusOf, deriveWorkerLifecycleView } from '../../src/lifecycle/derive.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { delegate, type DelegateResult } from '../../src/ops/delegate.js';
import { createRun } from '../../src/ops/runs.js';
import { readRunEvents, type RunEvent } from '../../src/store/events-log.js';
import { loadDelegations } from '../../src/store/records.js';
import type { JsonObject } from '../../src/util/json.js';
import { CLI } from '../helpers/cli.js';
import { fixturePath } from '../helpers/worker-harness.js';

export const CONFIG: RuntimeConfig = {
  ...DEFAULT_RUNTIME_CONFIG,
  worker_stuck_after_ms: 3_000,
  worker_quiet_after_ms: 500,
  worker_kill_grace_ms: 200,
  worker_max_retries_per_phase: 1,
  worker_retry_backoff_ms: 300,
};
/** The same thresholds as CLI flags. */
export const FLAGS = ['--worker-stuck-after-ms', '3000', '--worker-quiet-after-ms', '500', '--worker-kill-grace-ms', '200', '--worker-retry-backoff-ms', '300'];

const roots: string[] = [];
export const newRun = (title: string, config: RuntimeConfig = CONFIG): RunContext => {
  const root = mkdtempSync(join(tmpdir(), 'captain-sup-'));
  roots.push(root);
  const run = createRun({ runDir: join(root, 'run'), title });
  return openRunContext(run.run_dir, config);
};
/** Removes every temp run made by {@link newRun}. */
export const removeRuns = (): void => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
};

export const fixture = (ctx: RunContext, name: string, args: string[] = [], extra: { maxParallel?: number } = {}): Promise<DelegateResult> =>
  delegate(ctx, { kind: 'command', argv: [process.execPath, fixturePath(name), ...args], cwd: ctx.runDir, ...extra });
export const events = (ctx: RunContext): RunEvent[] => readRunEvents(ctx.runDir, 0, { limit: 100_000 }).events;
export const records = (ctx: RunContext): JsonObject[] => loadDelegations(ctx.runDir).records.map((r) => r.record);
export const fannedIn = (ctx: RunContext): boolean => events(ctx).some((e) => e.event === 'fan_in_collapsed');

/** Starts `captain supervise` as a real process (stdio ignored). */
export const spawnSupervise = (ctx: RunContext, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcess =>
  spawn(process.execPath, [CLI, 'supervise', '--run-dir', ctx.runDir, ...FLAGS, ...extraArgs], { stdio: 'ignore', env: { ...process.env, ...env } });

/** Resolves with the signal (or exit code) once the child has exited. */
export const exitOf = (child: ChildProcess): Promise<NodeJS.Signals | number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.signalCode ?? child.exitCode)
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));

/** Whether any process of the group still exists. */
export const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * The event log after a run that ended in fan-in, however many supervisors were killed on the way:
 * every delegation's transitions form one chain (each `from` is the previous `to`, no repeats) that
 * ends in the record's current phase; every retried delegation has exactly one `worker_retried`
 * (naming its `retried_by`) and no other one has any; exactly one `fan_in_collapsed`.
 */
export const assertLogExact = (ctx: RunContext, config: RuntimeConfig = CONFIG): void => {
  const all = events(ctx);
  const last = new Map<string, string>();
  for (const e of all.filter((e) => e.event === 'worker_transition')) {
    const id = String(e.delegation_id);
    assert.notEqual(last.get(id), e.to, `duplicate transition ${id} -> ${String(e.to)}`);
    assert.equal(e.from ?? null, last.get(id) ?? null, `transition of ${id} starts where the last ended`);
    last.set(id, String(e.to));
  }
  const retried = all.filter((e) => e.event === 'worker_retried');
  for (const record of records(ctx)) {
    const id = String(record.delegation_id);
    const view = deriveWorkerLifecycleView(record, config, Date.now());
    const phase = view?.reclaim_state === 'reclaimed' ? 'reclaimed' : (view?.state ?? childStatusOf(record));
    assert.equal(last.get(id), phase, `${id}: the last logged phase is the record's`);
    const mine = retried.filter((e) => e.delegation_id === id);
    if (record.retried_by === undefined) assert.equal(mine.length, 0, `${id} was not retried`);
    else {
      assert.equal(mine.length, 1, `${id}: exactly one worker_retried`);
      assert.equal(mine[0]?.retry_delegation_id, record.retried_by);
    }
  }
  assert.equal(all.filter((e) => e.event === 'fan_in_collapsed').length, 1, 'exactly one fan-in');
  const idle = all.filter((e) => e.event === 'run_idle');
  assert.equal(idle.length, 1, 'exactly one run_idle');
  assert.ok(all.indexOf(idle[0]!) > all.findLastIndex((e) => e.event === 'worker_transition' || e.event === 'fan_in_collapsed'), 'run_idle comes after the last transition and the fan-in');
};
