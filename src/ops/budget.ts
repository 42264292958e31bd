/**
 * The run budget at the edges: reading run.json's limits, the run's usage from its records, editing
 * the limits (`captain budget`, `captain start --max-tokens …`), and marking held delegations with the
 * reason status shows. The decision itself is pure: src/lifecycle/budget.ts.
 */
import { CaptainError } from '../errors.js';
import { BUDGET_ACTIONS, decideBudget, runBudgetOf, type BudgetAction, type BudgetDecision, type BudgetUsage, type RunBudget } from '../lifecycle/budget.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { runLayout } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import type { RunContext } from './context.js';
import { sumUsage } from './usage.js';

/** The run's usage for the budget: tokens and known cost summed over its delegations. */
export const budgetUsageOf = (records: Iterable<JsonObject>): BudgetUsage => {
  const totals = sumUsage(records);
  return { totalTokens: totals.total_tokens, costUsd: totals.cost_usd, costUnknownWorkers: totals.cost_unknown_workers };
};

/** run.json as it is now (limits may have been edited since the context was opened); the context's copy if unreadable. */
export const currentRunJson = (ctx: RunContext): JsonObject => {
  try {
    return readJsonObjectSync(runLayout(ctx.runDir).runJson);
  } catch {
    return ctx.run;
  }
};

export interface BudgetReport extends JsonObject {
  run_dir: string;
  max_tokens: number | null;
  max_cost_usd: number | null;
  budget_action: BudgetAction;
  total_tokens: number;
  cost_usd: number | null;
  cost_unknown_workers: number;
  exceeded: boolean;
  reason: string | null;
  /** A cost budget is set and some workers' cost is unknown (their tokens still count). */
  cost_partly_unknown: boolean;
}

const report = (runDir: string, budget: RunBudget | null, usage: BudgetUsage, decision: BudgetDecision): BudgetReport => ({
  run_dir: runDir,
  max_tokens: budget?.maxTokens ?? null,
  max_cost_usd: budget?.maxCostUsd ?? null,
  budget_action: budget?.action ?? 'hold',
  total_tokens: usage.totalTokens,
  cost_usd: usage.costUsd,
  cost_unknown_workers: usage.costUnknownWorkers,
  exceeded: decision.exceeded,
  reason: decision.reason,
  cost_partly_unknown: decision.costPartlyUnknown,
});

/** The run's budget, usage and whether it is reached. */
export const getBudget = (ctx: RunContext): BudgetReport => {
  const budget = runBudgetOf(currentRunJson(ctx));
  const usage = budgetUsageOf(loadDelegations(ctx.runDir).records.map((r) => r.record));
  return report(ctx.runDir, budget, usage, decideBudget(budget, usage));
};

/** A change of the budget: a number sets a limit, null removes it, undefined leaves it. */
export interface BudgetChange {
  maxTokens?: number | null;
  maxCostUsd?: number | null;
  action?: BudgetAction;
}

/** Checks a change (positive limits, a known action). @throws CaptainError USAGE */
export const checkBudgetChange = (change: BudgetChange): BudgetChange => {
  if (change.maxTokens !== undefined && change.maxTokens !== null && !(Number.isSafeInteger(change.maxTokens) && change.maxTokens > 0)) {
    throw new CaptainError('USAGE', `--max-tokens ${change.maxTokens}: expected a positive integer (or "none")`);
  }
  if (change.maxCostUsd !== undefined && change.maxCostUsd !== null && !(Number.isFinite(change.maxCostUsd) && change.maxCostUsd > 0)) {
    throw new CaptainError('USAGE', `--max-cost-usd ${change.maxCostUsd}: expected a positive number of dollars (or "none")`);
  }
  if (change.action !== undefined && !BUDGET_ACTIONS.includes(change.action)) {
    throw new CaptainError('USAGE', `--budget-action ${String(change.action)}: expected one of ${BUDGET_ACTIONS.join(', ')}`);
  }
  return change;
};

/** The run.json keys of a change, for a new run. */
export const budgetKeys = (change: BudgetChange): JsonObject => ({
  ...(change.maxTokens === undefined || change.maxTokens === null ? {} : { max_tokens: change.maxTokens }),
  ...(change.maxCostUsd === undefined || change.maxCostUsd === null ? {} : { max_cost_usd: change.maxCostUsd }),
  ...(change.action === undefined ? {} : { budget_action: change.action }),
});

/** Edits run.json's budget under its lock (other keys kept); a running supervisor picks it up on its next pass. */
export const setBudget = async (ctx: RunContext, change: BudgetChange): Promise<BudgetReport> => {
  checkBudgetChange(change);
  await updateJsonRecord(runLayout(ctx.runDir).runJson, (current) => {
    const next: JsonObject = { ...current };
    if (change.maxTokens === null) delete next.max_tokens;
    else if (change.maxTokens !== undefined) next.max_tokens = change.maxTokens;
    if (change.maxCostUsd === null) delete next.max_cost_usd;
    else if (change.maxCostUsd !== undefined) next.max_cost_usd = change.maxCostUsd;
    if (change.action !== undefined) next.budget_action = change.action;
    return next;
  });
  return getBudget(ctx);
};

/** Whether a new launch of the run is held by its budget now (`delegate` queues instead of launching). */
export const budgetHoldReason = (ctx: RunContext): string | null => {
  const budget = runBudgetOf(currentRunJson(ctx));
  if (budget === null) return null;
  return decideBudget(budget, budgetUsageOf(loadDelegations(ctx.runDir).records.map((r) => r.record))).reason;
};

/** The queued delegations' hold reasons (`worker_lifecycle.hold_reason`), for status's NOTE column. */
export const holdReasonsOf = (records: Iterable<JsonObject>): Map<string, string> => {
  const reasons = new Map<string, string>();
  for (const record of records) {
    if (childStatusOf(record) !== 'queued') continue;
    const lifecycle = getKey(record, 'worker_lifecycle');
    const reason = isJsonObject(lifecycle) ? asString(getKey(lifecycle, 'hold_reason')) : undefined;
    const id = asString(getKey(record, 'delegation_id'));
    if (reason !== undefined && id !== undefined) reasons.set(id, reason);
  }
  return reasons;
};

/** Stamps `worker_lifecycle.hold_reason` on a queued delegation (null clears it); nothing written when unchanged. */
export const markHeld = (path: string, reason: string | null) =>
  updateJsonRecord(path, (current) => {
    if (childStatusOf(current) !== 'queued') return undefined;
    const lifecycle = getKey(current, 'worker_lifecycle');
    const base = isJsonObject(lifecycle) ? lifecycle : {};
    const before = asString(getKey(base, 'hold_reason')) ?? null;
    if (before === reason) return undefined;
    const { hold_reason: _dropped, ...rest } = base;
    return { ...current, worker_lifecycle: reason === null ? rest : { ...rest, hold_reason: reason } };
  });
