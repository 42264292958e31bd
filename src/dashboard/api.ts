/**
 * What the dashboard's JSON API answers, built from the library operations: the runs of the
 * workspace (or the one run it was given), a run's task cards and workers, one worker's result,
 * log, retry chain and state timeline, and the actions (reclaim, cancel, follow-up).
 */
import { basename } from 'node:path';
import type { RuntimeConfig } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { openRunContext, type RunContext } from '../ops/context.js';
import { followUp } from '../ops/follow-up.js';
import { reclaimDelegation } from '../ops/reclaim.js';
import { listRuns, type RunList } from '../ops/run-list.js';
import { worktreeDiskUsage } from '../worktree/disk.js';
import { getStatus } from '../ops/status.js';
import { cancelDelegation, findDelegation, getWorkerResult, readWorkerEvents } from '../ops/worker.js';
import { readRunEvents } from '../store/events-log.js';
import { loadDelegations, loadTaskCards } from '../store/records.js';
import { asString, getKey, type JsonObject } from '../util/json.js';

export interface DashboardScope {
  config: RuntimeConfig;
  /** The workspace whose runs are listed (`.captain/runs`). */
  workspace?: string;
  /** Only this run. */
  runDir?: string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The runs shown; `disk`: also the disk their git worktrees use (a walk of their files: the runs page only). */
export const listDashboardRuns = (scope: DashboardScope, disk = false): RunList => {
  if (scope.runDir !== undefined) {
    const ctx = openRunContext(scope.runDir, scope.config);
    const id = asString(getKey(ctx.run, 'run_id')) ?? basename(ctx.runDir);
    const disk = worktreeDiskUsage(ctx.runDir);
    return { workspace: ctx.runDir, runs_dir: ctx.runDir, runs: [{ run_id: id, run_dir: ctx.runDir, title: asString(getKey(ctx.run, 'title')) ?? null, status: null, created_at: asString(getKey(ctx.run, 'created_at')) ?? null, age_ms: 0, outcome: 'idle', worker_count: 0, counts: {}, total_tokens: 0, cost_usd: null, record_errors: 0, worktree_disk: { worktrees: disk.worktrees, bytes: disk.bytes }, error: null }] };
  }
  return listRuns({ config: scope.config, ...(scope.workspace === undefined ? { cwd: process.cwd() } : { workspace: scope.workspace }), ...(disk ? { disk: true } : {}) });
};

/** The run a URL names: an id of a listed run, nothing else (no path from the URL reaches the disk). */
export const runContextFor = (scope: DashboardScope, runId: string): RunContext => {
  if (!RUN_ID.test(runId)) throw new CaptainError('NOT_FOUND', `no run ${JSON.stringify(runId)}`);
  const run = listDashboardRuns(scope).runs.find((r) => r.run_id === runId);
  if (run === undefined) throw new CaptainError('NOT_FOUND', `no run ${runId} here`);
  return openRunContext(run.run_dir, scope.config);
};

/** A run's task cards with their workers (heartbeats refreshed, as `captain status` does). */
export const runView = (ctx: RunContext): JsonObject => {
  const status = getStatus(ctx, { allCards: true });
  // Lanes: each task card's declared lanes and each worker's lane (not in the seed's payloads).
  const lanes: JsonObject = {};
  for (const { fileName, record } of loadTaskCards(ctx.runDir).records) {
    const declared = getKey(getKey(record, 'parallel_fanout'), 'lanes');
    if (Array.isArray(declared)) lanes[fileName.replace(/\.json$/, '')] = declared.map((l) => asString(getKey(l, 'lane_id')) ?? asString(l) ?? null);
  }
  const workerLanes: JsonObject = {};
  for (const { record } of loadDelegations(ctx.runDir).records) {
    const id = asString(getKey(record, 'delegation_id'));
    const lane = asString(getKey(record, 'lane_id'));
    if (id !== undefined && lane !== undefined) workerLanes[id] = lane;
  }
  return {
    lanes,
    worker_lanes: workerLanes,
    run_id: asString(getKey(ctx.run, 'run_id')) ?? basename(ctx.runDir),
    run_dir: ctx.runDir,
    title: asString(getKey(ctx.run, 'title')) ?? null,
    task_cards: (status as unknown as { task_cards?: JsonObject[] }).task_cards ?? [],
    usage: getKey(status as unknown as JsonObject, 'run_usage') ?? null,
    errors: (status.errors ?? []) as unknown as JsonObject[],
    now: new Date(ctx.now()).toISOString(),
  };
};

/** Each worker's logged transitions (`worker_transition`), oldest first: the timeline's data. */
export const transitionsOf = (ctx: RunContext): JsonObject[] => {
  const out: JsonObject[] = [];
  let cursor = 0;
  for (;;) {
    const page = readRunEvents(ctx.runDir, cursor, { limit: 5_000 });
    for (const e of page.events) if (e.event === 'worker_transition') out.push({ delegation_id: e.delegation_id ?? null, to: e.to ?? null, at: e.at });
    if (page.next_cursor === cursor) return out;
    cursor = page.next_cursor;
  }
};

/** The chain of attempts a delegation belongs to (retry_of backwards, retried_by forwards). */
const retryChain = (ctx: RunContext, id: string): string[] => {
  const chain = [id];
  const seen = new Set(chain);
  const step = (from: string, key: 'retried_by' | 'retry_of'): string | undefined => {
    try {
      const record = findDelegation(ctx, from).record;
      return asString(key === 'retried_by' ? getKey(record, 'retried_by') : getKey(getKey(record, 'worker_request'), 'retry_of'));
    } catch {
      return undefined;
    }
  };
  for (let back = step(id, 'retry_of'); back !== undefined && !seen.has(back); back = step(back, 'retry_of')) chain.unshift(back), seen.add(back);
  for (let next = step(id, 'retried_by'); next !== undefined && !seen.has(next); next = step(next, 'retried_by')) chain.push(next), seen.add(next);
  return chain;
};

export const workerView = (ctx: RunContext, delegationId: string): JsonObject => ({
  result: getWorkerResult(ctx, delegationId) as unknown as JsonObject,
  retry_chain: retryChain(ctx, delegationId),
  transitions: transitionsOf(ctx).filter((t) => t.delegation_id === delegationId),
});

export const workerLog = (ctx: RunContext, delegationId: string, cursor: number): JsonObject => readWorkerEvents(ctx, delegationId, cursor, { limit: 500, maxBytes: 256 * 1024 });

export type DashboardAction = 'reclaim' | 'cancel' | 'follow-up';

export const runAction = async (ctx: RunContext, delegationId: string, action: DashboardAction, body: JsonObject): Promise<JsonObject> => {
  if (action === 'cancel') return (await cancelDelegation(ctx, delegationId, 'cancelled from the dashboard')) as unknown as JsonObject;
  if (action === 'reclaim') {
    const { path } = findDelegation(ctx, delegationId);
    const result = await reclaimDelegation(ctx, path);
    return result === null ? { reclaimed: false, reason: 'the worker does not need reclaiming (not stale or timed out)' } : ({ reclaimed: true, ...result } as unknown as JsonObject);
  }
  const prompt = asString(getKey(body, 'prompt'));
  if (prompt === undefined || prompt.trim() === '') throw new CaptainError('USAGE', 'a follow-up needs a prompt');
  return (await followUp(ctx, { delegationId, prompt })) as unknown as JsonObject;
};
