/**
 * The supervisor's decisions, pure: the run's records as observed, the resolved config, `now` and
 * the supervisor's memory in; the actions of one pass and the next wake-up time out. The supervisor
 * (src/supervisor/) only observes the run, calls {@link planSupervisorPass}, carries the actions out
 * in order and arms one timer for `nextWakeAt`.
 *
 * Decisions are made on records as they are on disk: while an observed record has a refresh not
 * yet written, the plan is only the `refresh-write`s; the supervisor writes them and plans again.
 */
import { SUPERVISOR_HOLD_RECHECK_MS, SUPERVISOR_ORPHAN_RECHECK_MS, type RuntimeConfig } from '../config/defaults.js';
import { budgetKey, decideBudget, type BudgetUsage, type RunBudget } from './budget.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import { childStatusOf, deriveWorkerLifecycleView, type WorkerLifecycleView } from './derive.js';
import { parallelFanoutGate } from './fan-in.js';
import { lostLaunchDueAt } from './lost-launch.js';
import { attemptOf, wantsRetry } from './retry.js';
import { isTerminalChildStatus, type ChildStatusText, type WorkerStateText } from './states.js';

/** One delegation record as the supervisor observed it. */
export interface ObservedRecord {
  path: string;
  /** The record refreshed from its raw events and process (on disk only when `refresh` is `none`). */
  record: JsonObject;
  /** What the refresh found that is not on disk yet: progress, or the worker's end. */
  refresh: 'none' | 'progress' | 'finalized';
}

/** One delegation record as the supervisor observed it, once its refresh is on disk. */
export interface ObservedDelegation extends ObservedRecord {
  /** Whether a live monitor watches it (looked at for running records only; the others read true). */
  monitorAlive: boolean;
}

/** What the supervisor has logged so far (replayed from events.jsonl on start). */
export interface SupervisorMemory {
  /** Last logged phase per delegation id. */
  phases: ReadonlyMap<string, string>;
  /** `task_card_id@collapsed_at` of every logged fan-in. */
  fanIns: ReadonlySet<string>;
  /** Delegation ids whose retry is logged. */
  retries: ReadonlySet<string>;
  /** Whether the log's latest word on the run is `run_idle` (nothing has started since). @default false */
  idle?: boolean;
  /** `budget_key` of every logged `budget_exceeded`. @default none */
  budgets?: ReadonlySet<string>;
}

export interface SupervisorPlanInput {
  delegations: readonly ObservedDelegation[];
  config: RuntimeConfig;
  now: number;
  /** Launch at most this many workers at once (undefined: no limit). */
  maxParallel: number | undefined;
  /** The run's task cards by id (a card's declared parallel lanes gate its fan-in); absent ones gate nothing. */
  taskCards: ReadonlyMap<string, JsonObject>;
  /** Paths of the delegations with a reclaim still running. */
  reclaiming: ReadonlySet<string>;
  memory: SupervisorMemory;
  /** run.json's budget as it is now (null: none) and the run's usage (src/ops/budget.ts); see lifecycle/budget.ts. */
  budget?: RunBudget | null;
  budgetUsage?: BudgetUsage;
  /** Why no launch may start now besides the budget (free memory under the floor: `--max-parallel auto`), or null. */
  launchHold?: string | null;
}

/** The phase the transition log records: the derived state, `reclaimed` once reclaimed, or the child status without a lifecycle. */
export type TransitionPhase = WorkerStateText | ChildStatusText | 'reclaimed';

/** Phases whose transition event carries the record's result summary. */
const SUMMARIZED_PHASES: ReadonlySet<string> = new Set<TransitionPhase>(['returned', 'failed', 'cancelled', 'reclaimed']);

/** Phases after which a worker does nothing more; a transition to any other phase ends an idle spell of the run. */
export const ENDED_PHASES: ReadonlySet<string> = new Set<string>([...SUMMARIZED_PHASES, 'completed']);
export const endsIdle = (phase: string): boolean => !ENDED_PHASES.has(phase);

export interface LaunchCandidate {
  path: string;
  delegationId: string;
}

/** Delegate attempt `attempt` of the failed delegation `of` (due since `dueAt`), stamp its `retried_by`, log it. */
export interface RetryAction {
  type: 'retry';
  path: string;
  of: string;
  /** The failed delegation's record: its request is what the retry runs. */
  record: JsonObject;
  dueAt: number;
  attempt: number;
  root: string;
  idempotencyKey: string;
}

/** Write the observed refresh of this record (under its lock, re-observed there). */
export interface RefreshWriteAction {
  type: 'refresh-write';
  path: string;
}

export type SupervisorAction =
  | RefreshWriteAction
  /** Append `worker_transition` (and remember the phase). */
  | { type: 'log-transition'; delegationId: string; taskCardId: string | null; from: string | null; to: TransitionPhase; summary?: string | null }
  /** Start reclaiming this delegation (in the background; it re-checks under the record lock). */
  | { type: 'reclaim'; path: string }
  /** Launch again an unclaimed launch presumed lost (re-checked under the record lock). */
  | { type: 'relaunch-lost'; path: string; staleAfterMs: number }
  | RetryAction
  /** Log a retry created (and stamped) by an earlier pass that died before logging it. */
  | { type: 'log-retry'; of: string; retryId: string; attempt: number }
  /**
   * Launch the queued candidates in order until `slots` of them have launched (undefined: all).
   * Retries launched by this pass's `retry` actions take their slots first.
   */
  | { type: 'launch-queued'; candidates: LaunchCandidate[]; slots: number | undefined }
  /** Collapse the task card's fan-in (the op re-checks and stamps), then log it once. */
  | { type: 'collapse-fan-in'; taskCardId: string }
  /** Log `run_idle` once: every worker of the run has ended for good and nothing is left to do. */
  | { type: 'log-run-idle'; workers: number; completed: number; failed: number; cancelled: number }
  /** Log `budget_exceeded` once per budget (its key) and remember it. */
  | { type: 'log-budget-exceeded'; key: string; budget: RunBudget; usage: BudgetUsage; reached: Array<'max_tokens' | 'max_cost_usd'>; reason: string }
  /** Budget action `cancel`: cancel this running worker through the cancel op (intent first), in the background. */
  | { type: 'cancel-for-budget'; path: string; delegationId: string; reason: string }
  /** Launches are held (budget reached, memory under the floor): the queued ones stay queued, each saying why. */
  | { type: 'hold-queued'; paths: string[]; reason: string };

export type SupervisorActionType = SupervisorAction['type'];

export interface SupervisorPlan {
  actions: SupervisorAction[];
  /** When something can next change by time alone (a threshold crossing, a retry due, a re-check); undefined: nothing is pending. */
  nextWakeAt: number | undefined;
}

interface Judged extends ObservedDelegation {
  id: string | undefined;
  status: ChildStatusText;
  view: WorkerLifecycleView | null;
}

const phaseOf = (d: Judged): TransitionPhase => {
  if (d.view === null) return d.status;
  return d.view.reclaim_state === 'reclaimed' ? 'reclaimed' : d.view.state;
};

const logTransitions = (judged: readonly Judged[], memory: SupervisorMemory): SupervisorAction[] => {
  const phases = new Map<string, string>();
  const actions: SupervisorAction[] = [];
  for (const d of judged) {
    if (d.id === undefined) continue;
    const phase = phaseOf(d);
    const before = phases.get(d.id) ?? memory.phases.get(d.id);
    if (before === phase) continue;
    phases.set(d.id, phase);
    actions.push({
      type: 'log-transition',
      delegationId: d.id,
      taskCardId: asString(getKey(d.record, 'task_card_id')) ?? null,
      from: before ?? null,
      to: phase,
      ...(SUMMARIZED_PHASES.has(phase) ? { summary: asString(getKey(d.record, 'result_summary')) ?? null } : {}),
    });
  }
  return actions;
};

/** The due time of a wanted retry: `completed_at` (else now) plus the backoff doubled per attempt. */
export const retryDueAt = (record: JsonObject, config: RuntimeConfig, now: number): number => {
  const completedAt = parseRfc3339Millis(getKey(record, 'completed_at')) ?? now;
  return completedAt + config.worker_retry_backoff_ms * 2 ** (attemptOf(record) - 1);
};

const planRetries = (judged: readonly Judged[], input: SupervisorPlanInput): { actions: SupervisorAction[]; nextDue: number | undefined } => {
  const { config, now, memory } = input;
  const actions: SupervisorAction[] = [];
  let nextDue: number | undefined;
  for (const d of judged) {
    if (!wantsRetry(d.record, config.worker_max_retries_per_phase)) continue;
    const dueAt = retryDueAt(d.record, config, now);
    if (dueAt > now) {
      nextDue = Math.min(nextDue ?? dueAt, dueAt);
      continue;
    }
    const of = String(getKey(d.record, 'delegation_id'));
    const root = asString(getKey(getKey(d.record, 'worker_request'), 'retry_root')) ?? of;
    const attempt = attemptOf(d.record) + 1;
    // The idempotency key makes a retry created before a crash the one found after it.
    actions.push({ type: 'retry', path: d.path, of, record: d.record, dueAt, attempt, root, idempotencyKey: `retry:${root}:${attempt}` });
  }
  // A retry stamped before a crash but not yet logged is logged now (the log is the memory).
  const logged = new Set<string>();
  for (const d of judged) {
    const retryId = asString(getKey(d.record, 'retried_by'));
    if (d.id === undefined || retryId === undefined || memory.retries.has(d.id) || logged.has(d.id)) continue;
    logged.add(d.id);
    actions.push({ type: 'log-retry', of: d.id, retryId, attempt: attemptOf(d.record) + 1 });
  }
  return { actions, nextDue };
};

const planLaunches = (judged: readonly Judged[], maxParallel: number | undefined): SupervisorAction[] => {
  const running = judged.filter((d) => d.status === 'running').length;
  const candidates: LaunchCandidate[] = judged
    .filter((d) => d.status === 'queued' && getKey(getKey(d.record, 'worker_lifecycle'), 'generation') !== undefined)
    .map((d) => ({ path: d.path, delegationId: String(getKey(d.record, 'delegation_id')) }));
  if (candidates.length === 0) return [];
  return [{ type: 'launch-queued', candidates, slots: maxParallel === undefined ? undefined : maxParallel - running }];
};

/** Whether a task card's workers have all ended for good: terminal and none of them still to be retried. */
const isSettled = (d: Judged, maxRetries: number): boolean => isTerminalChildStatus(d.status) && !wantsRetry(d.record, maxRetries);

/** Captain's declared parallel lanes (the fan-in op's gate): each required lane has a worker and all of its workers ended. */
const lanesSatisfied = (taskCard: JsonObject | undefined, members: readonly Judged[]): boolean => {
  if (taskCard === undefined || asString(getKey(getKey(taskCard, 'parallel_fanout'), 'created_by')) !== 'captain') return true;
  return parallelFanoutGate(taskCard, members.map((d) => d.record))?.fan_in_ready ?? true;
};

const planFanIns = (judged: readonly Judged[], input: SupervisorPlanInput, busy: ReadonlySet<string>): SupervisorAction[] => {
  const cards = new Map<string, Judged[]>();
  for (const d of judged) {
    const card = asString(getKey(d.record, 'task_card_id'));
    if (card !== undefined) cards.set(card, [...(cards.get(card) ?? []), d]);
  }
  const actions: SupervisorAction[] = [];
  for (const [card, members] of cards) {
    if (!members.every((d) => isSettled(d, input.config.worker_max_retries_per_phase)) || members.some((d) => busy.has(d.path))) continue;
    if (members.every((d) => input.memory.fanIns.has(`${card}@${String(getKey(d.record, 'fan_in_collapsed_at'))}`))) continue;
    if (!lanesSatisfied(input.taskCards.get(card), members)) continue;
    actions.push({ type: 'collapse-fan-in', taskCardId: card });
  }
  return actions;
};

/** Actions that mean the run is still doing something (a fan-in collapse or a log line does not). */
const BUSY_ACTIONS: ReadonlySet<SupervisorActionType> = new Set(['reclaim', 'relaunch-lost', 'retry', 'launch-queued', 'cancel-for-budget']);

/**
 * `run_idle`, once per idle spell: the run has workers, all of them ended for good (terminal, no
 * retry to come), no reclaim or other background job runs, and this pass starts nothing.
 */
const planRunIdle = (judged: readonly Judged[], input: SupervisorPlanInput, busy: ReadonlySet<string>, actions: readonly SupervisorAction[]): SupervisorAction | undefined => {
  if (input.memory.idle === true || judged.length === 0 || busy.size > 0) return undefined;
  if (actions.some((a) => BUSY_ACTIONS.has(a.type))) return undefined;
  if (!judged.every((d) => isSettled(d, input.config.worker_max_retries_per_phase))) return undefined;
  const final = judged.filter((d) => getKey(d.record, 'retried_by') === undefined);
  const count = (status: string): number => final.filter((d) => d.status === status).length;
  return { type: 'log-run-idle', workers: final.length, completed: count('completed'), failed: count('failed'), cancelled: count('cancelled') };
};

/** The earliest moment after `now` when a running worker crosses a threshold, needs a re-check, or a retry falls due. */
const nextWakeAt = (judged: readonly Judged[], now: number, retryDue: number | undefined, holding: boolean, maxRetries: number): number | undefined => {
  let next = retryDue;
  const consider = (at: number): void => {
    if (at > now) next = Math.min(next ?? at, at);
  };
  // Held launches: a raised budget or freed memory raises no file event, so look again.
  if (holding && judged.some((d) => d.status === 'queued' || wantsRetry(d.record, maxRetries))) consider(now + SUPERVISOR_HOLD_RECHECK_MS);
  for (const d of judged) {
    if (d.status !== 'running') continue;
    const progress = parseRfc3339Millis(getKey(getKey(d.record, 'worker_lifecycle'), 'last_progress_at'));
    if (d.view !== null && progress !== undefined) {
      for (const threshold of [d.view.quiet_after_ms, d.view.stale_after_ms, d.view.timeout_after_ms]) consider(progress + threshold + 1);
    }
    // No live monitor: the worker's end is only seen by looking again.
    if (!d.monitorAlive) consider(now + SUPERVISOR_ORPHAN_RECHECK_MS);
    if (d.view !== null) {
      const lost = lostLaunchDueAt(d.record, d.view.stale_after_ms);
      if (lost !== undefined) consider(lost);
    }
  }
  return next;
};

/** The first step of a pass: write what the refresh observed, before anything is decided on it. */
export const planRefreshWrites = (observed: readonly ObservedRecord[]): RefreshWriteAction[] =>
  observed.filter((d) => d.refresh !== 'none').map((d) => ({ type: 'refresh-write', path: d.path }));

/**
 * One supervisor pass, decided. Actions come in the order they are carried out: transitions
 * logged, reclaims started, lost launches relaunched, retries created (and earlier ones logged),
 * queued workers launched within max-parallel, fan-ins collapsed.
 */
export const planSupervisorPass = (input: SupervisorPlanInput): SupervisorPlan => {
  const writes = planRefreshWrites(input.delegations);
  if (writes.length > 0) return { actions: writes, nextWakeAt: undefined };
  const { config, now } = input;
  const judged: Judged[] = input.delegations.map((d) => ({
    ...d,
    id: asString(getKey(d.record, 'delegation_id')),
    status: childStatusOf(d.record),
    view: deriveWorkerLifecycleView(d.record, config, now),
  }));
  const actions: SupervisorAction[] = logTransitions(judged, input.memory);
  // Paths with a reclaim running, counting the ones this pass starts.
  const busy = new Set(input.reclaiming);
  if (config.worker_auto_reclaim_enabled) {
    for (const d of judged) {
      if (d.view?.reclaim_state !== 'reclaim_needed' || busy.has(d.path)) continue;
      busy.add(d.path);
      actions.push({ type: 'reclaim', path: d.path });
    }
  }
  for (const d of judged) {
    if (d.view === null || busy.has(d.path)) continue;
    const due = lostLaunchDueAt(d.record, d.view.stale_after_ms);
    if (due !== undefined && due <= now) actions.push({ type: 'relaunch-lost', path: d.path, staleAfterMs: d.view.stale_after_ms });
  }
  // The run budget: once reached, logged once, running workers cancelled (action cancel), nothing new launched.
  const budget = input.budget ?? null;
  const usage = input.budgetUsage ?? { totalTokens: 0, costUsd: null, costUnknownWorkers: 0 };
  const decision = decideBudget(budget, usage);
  if (budget !== null && decision.exceeded && decision.reason !== null) {
    const key = budgetKey(budget);
    if (!(input.memory.budgets?.has(key) ?? false)) actions.push({ type: 'log-budget-exceeded', key, budget, usage, reached: decision.reached, reason: decision.reason });
    if (decision.cancelRunning) {
      for (const d of judged) {
        if (d.status !== 'running' || d.id === undefined || busy.has(d.path)) continue;
        actions.push({ type: 'cancel-for-budget', path: d.path, delegationId: d.id, reason: decision.reason });
      }
    }
  }
  const holdReason = (decision.holdLaunches ? decision.reason : null) ?? input.launchHold ?? null;
  const retries = planRetries(judged, input);
  if (holdReason === null) {
    actions.push(...retries.actions, ...planLaunches(judged, input.maxParallel));
  } else {
    // No retry and no queued launch while held; retries created before a crash are still logged.
    actions.push(...retries.actions.filter((a) => a.type === 'log-retry'));
    const queued = judged.filter((d) => d.status === 'queued').map((d) => d.path);
    if (queued.length > 0) actions.push({ type: 'hold-queued', paths: queued, reason: holdReason });
  }
  actions.push(...planFanIns(judged, input, busy));
  const idle = planRunIdle(judged, input, busy, actions);
  if (idle !== undefined) actions.push(idle);
  return { actions, nextWakeAt: nextWakeAt(judged, now, holdReason === null ? retries.nextDue : undefined, holdReason !== null, config.worker_max_retries_per_phase) };
};
