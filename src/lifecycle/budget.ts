/**
 * The run budget (pure): run.json's `max_tokens`, `max_cost_usd` and `budget_action`, and the decision
 * the supervisor (and `delegate`) act on, from the run's totals (tokens and cost summed over its
 * delegations, src/ops/usage.ts).
 *
 * Tokens always count. Cost counts only where it is known: a worker whose model has no price adds
 * tokens but no dollars, so the known cost is a lower bound. A cost budget is therefore reached when
 * the known cost reaches it (certain), and never presumed reached from unknown costs; the decision then
 * carries `cost_unknown_workers` so status can warn that the cost budget may be passed unseen.
 */
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';

export const BUDGET_ACTIONS = ['hold', 'cancel'] as const;
export type BudgetAction = (typeof BUDGET_ACTIONS)[number];

export interface RunBudget {
  maxTokens: number | null;
  maxCostUsd: number | null;
  /** `hold`: no new launches (running workers finish); `cancel`: also cancel the running workers. */
  action: BudgetAction;
}

/** What the run has used so far. */
export interface BudgetUsage {
  totalTokens: number;
  /** The sum of the known costs; null when none is known. */
  costUsd: number | null;
  /** Workers with tokens but no known cost. */
  costUnknownWorkers: number;
}

export interface BudgetDecision {
  exceeded: boolean;
  /** Which limits are reached. */
  reached: Array<'max_tokens' | 'max_cost_usd'>;
  /** No new launches (queued delegations stay queued, no retries start). */
  holdLaunches: boolean;
  /** Cancel the running workers (action `cancel`). */
  cancelRunning: boolean;
  /** A cost budget is set and some workers' cost is unknown: it may be passed without captain knowing. */
  costPartlyUnknown: boolean;
  /** One line for people: `tokens 1200 ≥ max_tokens 1000`. */
  reason: string | null;
}

const positive = (value: Json | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;

/** The run's budget from run.json; null when it sets no limit. An unknown `budget_action` reads as `hold`. */
export const runBudgetOf = (run: JsonObject | null | undefined): RunBudget | null => {
  if (!isJsonObject(run)) return null;
  // A token limit under 1 (0.5) is no limit, never "reached at 0 tokens".
  const rawTokens = positive(getKey(run, 'max_tokens'));
  const maxTokens = rawTokens === null || rawTokens < 1 ? null : Math.floor(rawTokens);
  const maxCostUsd = positive(getKey(run, 'max_cost_usd'));
  if (maxTokens === null && maxCostUsd === null) return null;
  const action = asString(getKey(run, 'budget_action')) === 'cancel' ? 'cancel' : 'hold';
  return { maxTokens, maxCostUsd, action };
};

/** Whether the run's usage reaches its budget, and what to do about it. */
export const decideBudget = (budget: RunBudget | null, usage: BudgetUsage): BudgetDecision => {
  const none: BudgetDecision = { exceeded: false, reached: [], holdLaunches: false, cancelRunning: false, costPartlyUnknown: false, reason: null };
  if (budget === null) return none;
  const reached: BudgetDecision['reached'] = [];
  const parts: string[] = [];
  if (budget.maxTokens !== null && usage.totalTokens >= budget.maxTokens) {
    reached.push('max_tokens');
    parts.push(`tokens ${usage.totalTokens} ≥ max_tokens ${budget.maxTokens}`);
  }
  if (budget.maxCostUsd !== null && usage.costUsd !== null && usage.costUsd >= budget.maxCostUsd) {
    reached.push('max_cost_usd');
    parts.push(`cost $${usage.costUsd} ≥ max_cost_usd $${budget.maxCostUsd}`);
  }
  const exceeded = reached.length > 0;
  return {
    exceeded,
    reached,
    holdLaunches: exceeded,
    cancelRunning: exceeded && budget.action === 'cancel',
    costPartlyUnknown: budget.maxCostUsd !== null && usage.costUnknownWorkers > 0,
    reason: exceeded ? `run budget reached: ${parts.join(', ')}` : null,
  };
};

/** Identifies a budget in the events log: one `budget_exceeded` entry per budget (limits) crossed. */
export const budgetKey = (budget: Pick<RunBudget, 'maxTokens' | 'maxCostUsd'>): string => `${budget.maxTokens ?? '-'}/${budget.maxCostUsd ?? '-'}`;
