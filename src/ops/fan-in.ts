/**
 * `captain fan-in` (the seed's `collapse_terminal_fan_in` with its task-card fallback), idempotent:
 * the decision is pure (lifecycle/fan-in.ts); this stamps `fan_in_collapsed_at` under each record's
 * lock, re-checking that the record is still terminal.
 */
import { childStatusOf } from '../lifecycle/derive.js';
import { decideFanIn, type FanInDecision } from '../lifecycle/fan-in.js';
import { applyFanInStamp } from '../lifecycle/mutations.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { CaptainError } from '../errors.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertSafeId, runLayout, taskCardPath } from '../store/paths.js';
import { withRecordLock } from '../store/lock.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { updateJsonRecord } from '../store/update-record.js';
import { type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { loadRefreshedDelegations, type RecordError } from './status.js';
import { worktreeFanInReport } from './worktree-fan-in.js';

export interface FanInResult extends JsonObject {
  run_dir: string;
  task_card_id: string;
  collapsed: boolean;
  fan_in: JsonObject | null;
  reason: string | null;
  active_delegation_ids: string[];
  missing_lane_ids: string[];
  errors: RecordError[];
  // With `worktrees: true`, once collapsed and when the task card has worktrees, also `worktrees` (a WorktreeFanInReport).
}

const readTaskCard = (runDir: string, taskCardId: string): JsonObject | null => {
  try {
    return readJsonObjectSync(taskCardPath(runDir, taskCardId));
  } catch (error) {
    if (error instanceof CaptainError && error.code === 'NOT_FOUND') return null;
    throw error;
  }
};

const toResult = (ctx: RunContext, taskCardId: string, decision: FanInDecision, errors: RecordError[]): FanInResult =>
  decision.ready
    ? { run_dir: ctx.runDir, task_card_id: taskCardId, collapsed: true, fan_in: decision.payload, reason: null, active_delegation_ids: [], missing_lane_ids: [], errors }
    : {
        run_dir: ctx.runDir,
        task_card_id: taskCardId,
        collapsed: false,
        fan_in: null,
        reason: decision.reason,
        active_delegation_ids: decision.activeDelegationIds,
        missing_lane_ids: decision.missingLaneIds,
        errors,
      };

/**
 * Collapses fan-in for a task card exactly once: the decision and the stamps are made under one
 * run-wide lock per task card, and a stamp once written is never replaced, so concurrent callers
 * (a supervisor, `captain fan-in` loops, MCP) all return the first `collapsed_at`.
 */
export const collapseFanIn = async (
  ctx: RunContext,
  opts: { taskCardId?: string; orchestratorSummary?: string; worktrees?: boolean } = {},
): Promise<FanInResult> => {
  const taskCardId = targetTaskCardId(ctx, opts.taskCardId);
  if (taskCardId === null) {
    throw new CaptainError('USAGE', `${ctx.runDir}/run.json has no active_task_card_id; pass --task-card ID`);
  }
  const lockDir = runLayout(ctx.runDir).lockDir;
  mkdirSync(lockDir, { recursive: true });
  const lockName = `fan-in-${assertSafeId(taskCardId, { field: 'task card id' })}`;
  const result = await withRecordLock(join(lockDir, lockName), async () => {
    for (;;) {
      const outcome = await decideAndStamp(ctx, taskCardId, opts.orchestratorSummary);
      if (outcome !== 'raced') return outcome;
    }
  });
  // Outside the fan-in lock: collecting and trial-merging run git.
  const report = opts.worktrees === true && result.collapsed ? await worktreeFanInReport(ctx, taskCardId) : null;
  return report === null ? result : { ...result, worktrees: report };
};

/** One decision and its stamps; 'raced' when a worker was restarted in between (decide again). */
const decideAndStamp = async (ctx: RunContext, taskCardId: string, orchestratorSummary: string | undefined): Promise<FanInResult | 'raced'> => {
  const { delegations, errors } = loadRefreshedDelegations(ctx, new Set([taskCardId]), { write: true });
  const taskCard = readTaskCard(ctx.runDir, taskCardId);
  const decision = decideFanIn({
    taskCardId,
    taskCard,
    delegations: delegations.map((d) => d.record),
    collapsedAt: formatRfc3339(ctx.now()),
    ...(orchestratorSummary === undefined ? {} : { orchestratorSummary }),
  });
  if (!decision.ready || decision.stamp === 'none') return toResult(ctx, taskCardId, decision, errors);
  const collapsedAt = decision.payload.collapsed_at;
  if (decision.stamp === 'task_card') {
    await updateJsonRecord(taskCardPath(ctx.runDir, taskCardId), (card) =>
      typeof card.fan_in_collapsed_at === 'string' ? undefined : { ...card, fan_in_collapsed_at: collapsedAt, updated_at: collapsedAt });
    return toResult(ctx, taskCardId, decision, errors);
  }
  let raced = false;
  for (const d of delegations) {
    await updateJsonRecord(d.path, (current) => {
      if (!isTerminalChildStatus(childStatusOf(current))) {
        raced = true;
        return undefined;
      }
      return applyFanInStamp(current, collapsedAt);
    });
  }
  return raced ? 'raced' : toResult(ctx, taskCardId, decision, errors);
};
