/**
 * `captain status`: the seed's `worker_visibility` and `reclaim_plan` for a task card, after the
 * heartbeat refresh (or without writing anything, for `--snapshot`). A record that cannot be read
 * is reported in `errors` and skipped; it never hides the others.
 */
import { createReclaimPlanPayload } from '../lifecycle/reclaim-plan.js';
import { createVisibleWorker, createWorkerVisibilityPayload } from '../lifecycle/visibility.js';
import { loadDelegations, loadTaskCards } from '../store/records.js';
import { describeError } from '../errors.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { refreshDelegationSync } from './refresh.js';
import { sumUsage, type UsageTotals } from './usage.js';

export interface RecordError extends JsonObject {
  path: string;
  reason: string;
}

export interface TaskCardStatus extends JsonObject {
  task_card_id: string;
  worker_visibility: JsonObject | null;
  reclaim_plan: JsonObject | null;
  /** Token usage and cost of the task card's workers. */
  usage: UsageTotals;
}

export interface StatusResult extends JsonObject {
  run_dir: string;
  task_card_id: string | null;
  worker_visibility: JsonObject | null;
  reclaim_plan: JsonObject | null;
  /** Token usage and cost of the task card's workers (captain's addition to the seed's payload). */
  usage: UsageTotals | null;
  /** The same over every delegation of the run. */
  run_usage: UsageTotals;
  errors: RecordError[];
}

export interface LoadedDelegation {
  path: string;
  fileName: string;
  record: JsonObject;
}

/**
 * The delegations of the given task cards (all when `taskCardIds` is null), refreshed, plus the
 * errors met on the way. Only running delegations are looked at beyond their JSON.
 */
export const loadRefreshedDelegations = (
  ctx: RunContext,
  taskCardIds: ReadonlySet<string> | null,
  opts: { write: boolean },
): { delegations: LoadedDelegation[]; errors: RecordError[]; runUsage: UsageTotals } => {
  const loaded = loadDelegations(ctx.runDir);
  const errors: RecordError[] = loaded.errors.map((e) => ({ path: e.path, reason: e.reason }));
  const delegations: LoadedDelegation[] = [];
  const everyRecord: JsonObject[] = [];
  for (const entry of loaded.records) {
    const cardId = asString(getKey(entry.record, 'task_card_id'));
    if (taskCardIds !== null && (cardId === undefined || !taskCardIds.has(cardId))) {
      everyRecord.push(entry.record);
      continue;
    }
    try {
      const { record } = refreshDelegationSync(ctx, entry.path, entry.record, opts);
      delegations.push({ ...entry, record });
      everyRecord.push(record);
    } catch (error) {
      errors.push({ path: entry.path, reason: describeError(error) });
    }
  }
  return { delegations, errors, runUsage: sumUsage(everyRecord) };
};

const cardStatus = (ctx: RunContext, taskCardId: string, delegations: readonly LoadedDelegation[]): TaskCardStatus => {
  const now = ctx.now();
  const workers = delegations.map((d) => createVisibleWorker(d.record, ctx.config, now));
  const visibility = createWorkerVisibilityPayload(taskCardId, workers);
  return {
    task_card_id: taskCardId,
    worker_visibility: visibility,
    reclaim_plan: createReclaimPlanPayload(visibility, ctx.config),
    usage: sumUsage(delegations.map((d) => d.record)),
  };
};

/** Every task card id the run knows: its task-card files and the ids its delegations name, sorted. */
const allTaskCardIds = (ctx: RunContext, delegations: LoadedDelegation[], errors: RecordError[]): string[] => {
  const cards = loadTaskCards(ctx.runDir);
  errors.push(...cards.errors.map((e) => ({ path: e.path, reason: e.reason })));
  const ids = new Set<string>();
  for (const card of cards.records) {
    const id = asString(getKey(card.record, 'task_card_id')) ?? card.fileName.replace(/\.json$/, '');
    ids.add(id);
  }
  for (const d of delegations) {
    const id = asString(getKey(d.record, 'task_card_id'));
    if (id !== undefined && id.trim() !== '') ids.add(id);
  }
  return [...ids].sort();
};

export const getStatus = (ctx: RunContext, opts: { taskCardId?: string; snapshot?: boolean } = {}): StatusResult => {
  const write = !(opts.snapshot ?? false);
  const taskCardId = targetTaskCardId(ctx, opts.taskCardId);
  if (taskCardId !== null) {
    const { delegations, errors, runUsage } = loadRefreshedDelegations(ctx, new Set([taskCardId]), { write });
    const card = cardStatus(ctx, taskCardId, delegations);
    return {
      run_dir: ctx.runDir,
      task_card_id: taskCardId,
      worker_visibility: card.worker_visibility,
      reclaim_plan: card.reclaim_plan,
      usage: card.usage,
      run_usage: runUsage,
      errors,
    };
  }
  const { delegations, errors, runUsage } = loadRefreshedDelegations(ctx, null, { write });
  const ids = allTaskCardIds(ctx, delegations, errors);
  const byCard = new Map<string, LoadedDelegation[]>();
  for (const d of delegations) {
    const id = asString(getKey(d.record, 'task_card_id'));
    if (id === undefined) continue;
    const list = byCard.get(id) ?? [];
    list.push(d);
    byCard.set(id, list);
  }
  return {
    run_dir: ctx.runDir,
    task_card_id: null,
    worker_visibility: null,
    reclaim_plan: null,
    usage: null,
    task_cards: ids.map((id) => cardStatus(ctx, id, byCard.get(id) ?? [])),
    run_usage: runUsage,
    errors,
  };
};
