/**
 * `captain wait`: block until a task card's fan-in is collapsed (or a timeout), reporting progress.
 * If no supervisor holds the run, the waiter supervises it for as long as it waits (and takes over
 * if the supervisor it relied on dies), so waiting alone drives the run to fan-in. Woken by file
 * changes (`watchRun`); the only timers are the deadline and, while another process supervises, a
 * check that this process is still alive.
 */
import { WAIT_HOLDER_RECHECK_MS } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { childStatusOf } from '../lifecycle/derive.js';
import type { ChildStatusText } from '../lifecycle/states.js';
import { loadDelegations } from '../store/records.js';
import { watchRun } from '../store/watch-run.js';
import { superviseUnlessHeld } from '../supervisor/supervise-unless-held.js';
import type { Supervisor, SupervisorOptions } from '../supervisor/supervisor.js';
import { asInteger, asString, getKey, type JsonObject } from '../util/json.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { failureReasonOf } from './failure-reasons.js';
import { getStatus, type StatusResult } from './status.js';

export type WaitOutcome = 'completed' | 'failed' | 'timeout';

/** One final (not retried) worker of the task card. */
export interface WaitWorker extends JsonObject {
  delegation_id: string;
  /** completed | failed | reclaimed | cancelled, or the child status while still going (timeout). */
  state: ChildStatusText | 'reclaimed';
  attempt: number;
  /** The delegation's title (`summary`). */
  title: string | null;
  summary: string | null;
  /** The worker's last message (`worker_result.final_message`), when it left one. */
  final_message: string | null;
  /** Why it failed, was reclaimed or cancelled (see `failureReasonOf`); null otherwise. */
  failure_reason: string | null;
}

export interface WaitResult extends JsonObject {
  task_card_id: string;
  outcome: WaitOutcome;
  /** Final (leaf) delegations: retried ones are judged by their last retry. */
  completed: number;
  /** Failed or reclaimed. */
  failed: number;
  cancelled: number;
  fan_in_collapsed_at: string | null;
  workers: WaitWorker[];
  status: StatusResult;
}

export interface WaitOptions {
  taskCardId?: string;
  timeoutMs?: number;
  /** Called at start and after every change seen (with a snapshot status; nothing written). */
  onProgress?: (status: StatusResult) => void;
  /** Supervise the run while waiting if nobody else does. @default true */
  supervise?: boolean;
  /** Options of the supervisor started when nobody else supervises (hooks, event callbacks). */
  supervisorOptions?: Omit<SupervisorOptions, 'command'>;
  /** The hooks of the supervisor this wait starts, if it starts one (every event it logs; a failed pass). */
  onEvent?: SupervisorOptions['onEvent'];
  onError?: SupervisorOptions['onError'];
  /** Stops waiting early (the result is then `timeout`). */
  signal?: AbortSignal;
}

/** The records of the task card that are not superseded by a retry. */
const leaves = (workers: JsonObject[]): JsonObject[] => workers.filter((w) => getKey(w, 'retried_by') === undefined);

const workerOf = (record: JsonObject): WaitWorker => {
  const status = childStatusOf(record);
  const reclaimed = asString(getKey(getKey(record, 'worker_lifecycle'), 'reclaim_state')) === 'reclaimed';
  return {
    delegation_id: asString(getKey(record, 'delegation_id')) ?? '',
    state: status === 'failed' && reclaimed ? 'reclaimed' : status,
    attempt: asInteger(getKey(getKey(record, 'worker_request'), 'attempt')) ?? 1,
    title: asString(getKey(record, 'summary')) ?? null,
    summary: asString(getKey(record, 'result_summary')) ?? null,
    final_message: asString(getKey(getKey(record, 'worker_result'), 'final_message')) ?? null,
    failure_reason: status === 'completed' ? null : failureReasonOf(record),
  };
};

/**
 * Waits until every delegation of the task card carries a fan-in stamp, or `timeoutMs` passes.
 * Outcome `completed` when every final worker completed, `failed` when any failed, was reclaimed or
 * cancelled, `timeout` otherwise. Throws USAGE when the run has no active task card and none is given.
 */
export const waitForFanIn = async (ctx: RunContext, opts: WaitOptions = {}): Promise<WaitResult> => {
  const taskCardId = targetTaskCardId(ctx, opts.taskCardId);
  if (taskCardId === null) throw new CaptainError('USAGE', `${ctx.runDir}/run.json has no active_task_card_id; pass --task-card ID`);
  const supervise = opts.supervise ?? true;
  let supervisor: Supervisor | undefined;
  /** Supervises the run unless a live process already does. */
  const adoptIfUnsupervised = async (): Promise<void> => {
    if (!supervise || supervisor !== undefined) return;
    supervisor =
      (await superviseUnlessHeld(ctx, {
        ...opts.supervisorOptions,
        command: `captain wait (pid ${process.pid})`,
        ...(opts.onEvent === undefined ? {} : { onEvent: opts.onEvent }),
        ...(opts.onError === undefined ? {} : { onError: opts.onError }),
      })) ?? undefined;
  };
  // Watching starts before the first look, so nothing between the look and the sleep is missed.
  // Records (a worker's state) and the run's log (transitions, fan-in); raw events do not matter here.
  const watch = watchRun(ctx.runDir, { cursor: 'end', rawEvents: false, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : ctx.now() + opts.timeoutMs;
  try {
    for (;;) {
      await adoptIfUnsupervised();
      const status = getStatus(ctx, { taskCardId, refresh: 'observe' });
      opts.onProgress?.(status);
      const { records, collapsedAt } = cardRecords(ctx, taskCardId);
      const done = records.length > 0 && records.every((r) => asString(getKey(r, 'fan_in_collapsed_at')) !== undefined);
      if (done || ctx.now() >= deadline || watch.closed) return resultOf(taskCardId, done, records, collapsedAt, status);
      // Sleep until the run changes or the deadline; while another process supervises, also
      // re-check now and then that it lives (its death raises no file event).
      const ceiling = supervisor === undefined && supervise ? WAIT_HOLDER_RECHECK_MS : Number.POSITIVE_INFINITY;
      const sleepMs = Math.min(ceiling, Math.max(deadline - ctx.now(), 0));
      await watch.batch(Number.isFinite(sleepMs) ? sleepMs : undefined);
    }
  } finally {
    watch.close();
    await supervisor?.stop();
  }
};

const resultOf = (taskCardId: string, done: boolean, records: JsonObject[], collapsedAt: string | null, status: StatusResult): WaitResult => {
  const workers = leaves(records).map(workerOf);
  const count = (...states: string[]): number => workers.filter((w) => states.includes(w.state)).length;
  const failed = count('failed', 'reclaimed');
  const cancelled = count('cancelled');
  return {
    task_card_id: taskCardId,
    outcome: !done ? 'timeout' : failed > 0 || cancelled > 0 ? 'failed' : 'completed',
    completed: count('completed'),
    failed,
    cancelled,
    fan_in_collapsed_at: collapsedAt,
    workers,
    status,
  };
};

/** The task card's delegation records as stored, and the latest fan-in stamp among them. */
const cardRecords = (ctx: RunContext, taskCardId: string): { records: JsonObject[]; collapsedAt: string | null } => {
  const records = loadDelegations(ctx.runDir)
    .records.map((r) => r.record)
    .filter((r) => asString(getKey(r, 'task_card_id')) === taskCardId);
  const stamps = records.map((r) => asString(getKey(r, 'fan_in_collapsed_at'))).filter((s): s is string => s !== undefined).sort();
  return { records, collapsedAt: stamps.at(-1) ?? null };
};
