/**
 * `captain reclaim` (the seed's `reclaim_stuck_worker_delegations`, done better): every worker of
 * the task card whose derived reclaim state is `reclaim_needed` has its whole process group
 * terminated (SIGTERM, grace, SIGKILL, verified gone) while captain holds its record lock, and the
 * failure is recorded exactly as the seed records it. A process whose identity does not match the
 * record is never signalled. Workers are reclaimed concurrently.
 */
import { deriveWorkerLifecycleView } from '../lifecycle/derive.js';
import { applyReclaim, type Termination } from '../lifecycle/mutations.js';
import type { WorkerStateText } from '../lifecycle/states.js';
import { terminateWorker } from '../process/terminate.js';
import { withRecordLock } from '../store/lock.js';
import { readJsonObjectSync, writeJsonAtomicSync } from '../store/json-file.js';
import { getKey, orNull, type Json, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { workerProcessRef } from './liveness.js';
import { observeDelegation } from './refresh.js';
import { loadRefreshedDelegations, type RecordError } from './status.js';

export interface ReclaimedWorker extends JsonObject {
  delegation_id: Json;
  state: WorkerStateText;
  process_id: number | null;
  termination: Termination | 'would_reclaim';
  summary: string;
  survivors: number[];
}

export interface ReclaimResult extends JsonObject {
  run_dir: string;
  task_card_id: string | null;
  dry_run: boolean;
  reclaimed: ReclaimedWorker[];
  errors: RecordError[];
}

const needsReclaim = (ctx: RunContext, record: JsonObject): WorkerStateText | null => {
  const view = deriveWorkerLifecycleView(record, ctx.config, ctx.now());
  return view !== null && view.reclaim_state === 'reclaim_needed' ? view.state : null;
};

/**
 * Reclaims one delegation file if (re-checked under its lock) it still needs reclaim.
 * Returns null when it no longer does (it finished or progressed meanwhile).
 */
export const reclaimDelegation = async (ctx: RunContext, path: string): Promise<ReclaimedWorker | null> =>
  withRecordLock(path, async () => {
    const current = observeDelegation(ctx, path, readJsonObjectSync(path)).record;
    const state = needsReclaim(ctx, current);
    if (state === null) {
      return null;
    }
    const ref = workerProcessRef(current);
    const outcome =
      ref.pid === null
        ? { termination: 'already_exited' as const, survivors: [] as number[] }
        : await terminateWorker(ref, ctx.config.worker_kill_grace_ms);
    const { record, summary } = applyReclaim(current, {
      state,
      reclaimedAt: formatRfc3339(ctx.now()),
      processId: ref.pid,
      termination: outcome.termination,
    });
    writeJsonAtomicSync(path, record);
    return {
      delegation_id: orNull(getKey(record, 'delegation_id')),
      state,
      process_id: ref.pid,
      termination: outcome.termination,
      summary,
      survivors: outcome.survivors,
    };
  });

export const reclaimStuckWorkers = async (
  ctx: RunContext,
  opts: { taskCardId?: string; dryRun?: boolean } = {},
): Promise<ReclaimResult> => {
  const dryRun = opts.dryRun ?? false;
  const taskCardId = targetTaskCardId(ctx, opts.taskCardId);
  const result: ReclaimResult = { run_dir: ctx.runDir, task_card_id: taskCardId, dry_run: dryRun, reclaimed: [], errors: [] };
  if (taskCardId === null) return result;
  const { delegations, errors } = loadRefreshedDelegations(ctx, new Set([taskCardId]), { write: !dryRun });
  result.errors.push(...errors);
  const targets = delegations.filter((d) => needsReclaim(ctx, d.record) !== null);
  if (dryRun) {
    result.reclaimed = targets.map((d) => ({
      delegation_id: orNull(getKey(d.record, 'delegation_id')),
      state: needsReclaim(ctx, d.record) ?? 'stale',
      process_id: workerProcessRef(d.record).pid,
      termination: 'would_reclaim',
      summary: `would terminate the worker's process group and record it as reclaimed`,
      survivors: [],
    }));
    return result;
  }
  const settled = await Promise.allSettled(targets.map((d) => reclaimDelegation(ctx, d.path)));
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      if (outcome.value !== null) result.reclaimed.push(outcome.value);
    } else {
      result.errors.push({ path: targets[i]!.path, reason: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) });
    }
  });
  return result;
};

