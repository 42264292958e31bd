/**
 * `captain wait`: block until a task card's fan-in is collapsed (or a timeout), reporting progress.
 * If no supervisor holds the run, the waiter supervises it for as long as it waits, so waiting
 * alone drives the run to fan-in. Woken by file events, not a polling loop.
 */
import { watch, type FSWatcher } from 'node:fs';
import { CaptainError } from '../errors.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { runLayout } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { currentHolder } from '../supervisor/holder.js';
import { startSupervisor, type Supervisor } from '../supervisor/supervisor.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { getStatus, type StatusResult } from './status.js';

export type WaitOutcome = 'completed' | 'failed' | 'timeout';

export interface WaitResult extends JsonObject {
  task_card_id: string;
  outcome: WaitOutcome;
  /** Final (leaf) delegations: retried ones are judged by their last retry. */
  completed: number;
  failed: number;
  cancelled: number;
  fan_in_collapsed_at: string | null;
  status: StatusResult;
}

/** The records of the task card that are not superseded by a retry. */
const leaves = (workers: JsonObject[]): JsonObject[] => workers.filter((w) => getKey(w, 'retried_by') === undefined);

export const waitForFanIn = async (
  ctx: RunContext,
  opts: { taskCardId?: string; timeoutMs?: number; onProgress?: (status: StatusResult) => void; supervise?: boolean } = {},
): Promise<WaitResult> => {
  const taskCardId = targetTaskCardId(ctx, opts.taskCardId);
  if (taskCardId === null) throw new CaptainError('USAGE', `${ctx.runDir}/run.json has no active_task_card_id; pass --task-card ID`);
  let supervisor: Supervisor | undefined;
  if ((opts.supervise ?? true) && currentHolder(ctx.runDir) === null) {
    try {
      supervisor = await startSupervisor(ctx, { command: `captain wait (pid ${process.pid})` });
    } catch {
      // Someone else took the slot meanwhile: they supervise, we only watch.
    }
  }
  const layout = runLayout(ctx.runDir);
  const watchers: FSWatcher[] = [];
  let wake: (() => void) | undefined;
  for (const path of [layout.delegationsDir, layout.eventsJsonl]) {
    try {
      watchers.push(watch(path, () => wake?.()));
    } catch {
      // not there yet
    }
  }
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : ctx.now() + opts.timeoutMs;
  try {
    for (;;) {
      const status = getStatus(ctx, { taskCardId, snapshot: true });
      opts.onProgress?.(status);
      const { records, collapsedAt } = cardRecords(ctx, taskCardId);
      const finals = leaves(records);
      const done = records.length > 0 && records.every((r) => asString(getKey(r, 'fan_in_collapsed_at')) !== undefined);
      if (done || ctx.now() >= deadline) {
        const count = (s: string): number => finals.filter((r) => childStatusOf(r) === s).length;
        const failed = count('failed');
        const cancelled = count('cancelled');
        return {
          task_card_id: taskCardId,
          outcome: !done ? 'timeout' : failed > 0 || cancelled > 0 ? 'failed' : 'completed',
          completed: count('completed'),
          failed,
          cancelled,
          fan_in_collapsed_at: collapsedAt,
          status,
        };
      }
      // Sleep until a file changes, with a ceiling so the deadline and the clock are honoured.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(1_000, Math.max(deadline - ctx.now(), 0)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const w of watchers) w.close();
    await supervisor?.stop();
  }
};

/** The task card's delegation records as stored, and the latest fan-in stamp among them. */
const cardRecords = (ctx: RunContext, taskCardId: string): { records: JsonObject[]; collapsedAt: string | null } => {
  const records = loadDelegations(ctx.runDir)
    .records.map((r) => r.record)
    .filter((r) => asString(getKey(r, 'task_card_id')) === taskCardId);
  const stamps = records.map((r) => asString(getKey(r, 'fan_in_collapsed_at'))).filter((s): s is string => s !== undefined).sort();
  return { records, collapsedAt: stamps.at(-1) ?? null };
};
