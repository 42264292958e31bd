/**
 * The run supervisor: event-driven (`watchRun` on delegations/ and raw-events/, plus one timer armed
 * for the next moment something can change by time alone), crash-only (all state is on disk; a
 * restarted supervisor re-derives everything). Each pass observes the run, asks the pure plan
 * (src/lifecycle/supervisor-plan.ts) what to do, and carries it out: refresh writes, transitions
 * logged, stuck workers reclaimed, failed ones retried with backoff, queued ones launched within
 * max-parallel (or held: run budget reached, memory under the floor), fan-in collapsed when a task
 * card's workers are all terminal.
 */
import { HOOK_STOP_WAIT_MS, SUPERVISOR_RAW_EVENTS_DEBOUNCE_MS, SUPERVISOR_RECORD_DEBOUNCE_MS } from '../config/defaults.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { endsIdle, planRefreshWrites, planSupervisorPass, type SupervisorAction } from '../lifecycle/supervisor-plan.js';
import { runBudgetOf } from '../lifecycle/budget.js';
import { autoParallelLimit, type MachineLoad } from '../lifecycle/parallel-limit.js';
import { budgetUsageOf, currentRunJson, markHeld } from '../ops/budget.js';
import { cancelDelegation } from '../ops/worker.js';
import { readMachineLoad } from '../process/meminfo.js';
import type { RunContext } from '../ops/context.js';
import { delegate, launchDelegation } from '../ops/delegate.js';
import { collapseFanIn } from '../ops/fan-in.js';
import { reclaimDelegation } from '../ops/reclaim.js';
import { appendRunEvent, type RunEvent } from '../store/events-log.js';
import type { HookDefinition } from '../hooks/config.js';
import { createHookDispatcher, type DeliveryOutcome } from '../hooks/dispatcher.js';
import { watchRun } from '../store/watch-run.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asInteger, asString, getKey } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { collectWorktree } from '../worktree/collect.js';
import { worktreeOf } from '../worktree/record.js';
import { crashPoint } from './crash-point.js';
import { acquireSupervisorSlot } from './holder.js';
import { observeRun, observeTaskCards, withMonitorLiveness, writeRefresh, type SupervisedRecord } from './observe.js';
import { relaunchLostLaunch } from './relaunch.js';
import { retryDelegateInput } from './retry-input.js';
import { replayTransitions, sealEventsLog, type TransitionMemory } from './transitions.js';

export interface SupervisorOptions {
  /**
   * Launch at most this many workers of the run at once (default: run.json's `max_parallel`, else no
   * limit); `auto`: a limit from the machine's cores and free memory, holding launches under the
   * memory floor (src/lifecycle/parallel-limit.ts).
   */
  maxParallel?: number | 'auto';
  /** The machine's cores and free memory, for `maxParallel: 'auto'` (default: /proc/meminfo; tests inject one). */
  machineLoad?: () => MachineLoad;
  /** Called with every event the supervisor appends to events.jsonl. */
  onEvent?: (event: RunEvent) => void;
  /** Called when a pass fails (the supervisor keeps going). */
  onError?: (error: unknown) => void;
  /** What `supervisor.json` says is holding the run. */
  command?: string;
  /** Hooks fired (each exactly once per event) on the run's transition log; see `src/hooks/`. */
  hooks?: readonly HookDefinition[];
  /** Called when a hook delivery's outcome is recorded. */
  onHookDelivered?: (outcome: DeliveryOutcome) => void;
}

export interface Supervisor {
  readonly runDir: string;
  /** Runs one pass now (and waits for it). */
  pass(): Promise<void>;
  /** Stops watching, waits for in-flight reclaims, releases the run. */
  stop(): Promise<void>;
}

/**
 * Takes the run's supervisor slot (throws a USAGE CaptainError naming the live holder), replays
 * `events.jsonl`, runs a first pass, and keeps supervising until `stop()`.
 */
export const startSupervisor = async (ctx: RunContext, options: SupervisorOptions = {}): Promise<Supervisor> => {
  const release = await acquireSupervisorSlot(ctx.runDir, options.command ?? `captain supervisor (pid ${process.pid})`);
  let memory: TransitionMemory;
  try {
    sealEventsLog(ctx.runDir);
    memory = replayTransitions(ctx.runDir);
  } catch (error) {
    release();
    throw error;
  }
  const hooks =
    options.hooks !== undefined && options.hooks.length > 0
      ? createHookDispatcher(ctx.runDir, options.hooks, {
          now: ctx.now,
          runId: asString(getKey(ctx.run, 'run_id')) ?? null,
          ...(options.onError === undefined ? {} : { onError: options.onError }),
          ...(options.onHookDelivered === undefined ? {} : { onDelivered: options.onHookDelivered }),
        })
      : undefined;
  // Registers the hooks on the run before this supervisor logs anything (a hook fires for events
  // after it was first run on the run), and catches up on deliveries a killed predecessor left.
  hooks?.poll();
  const parallelSetting: number | 'auto' | undefined = options.maxParallel ?? (getKey(ctx.run, 'max_parallel') === 'auto' ? 'auto' : asInteger(getKey(ctx.run, 'max_parallel')));
  const machineLoad = options.machineLoad ?? readMachineLoad;
  /** This pass's limit on running workers, and why launches are held (memory under the floor), if they are. */
  const parallelLimit = (): { limit: number | undefined; hold: string | null } => {
    if (parallelSetting !== 'auto') return { limit: parallelSetting, hold: null };
    const decision = autoParallelLimit(machineLoad());
    return { limit: decision.limit, hold: decision.reason };
  };
  let maxParallel: number | undefined;
  const inFlight = new Map<string, Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let debounceAt = 0;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const log = (event: RunEvent): void => {
    appendRunEvent(ctx.runDir, event);
    options.onEvent?.(event);
  };

  /** Logs `worker_retried` once per retried delegation, however many crashes it took. */
  const logRetry = (id: string, retryId: string, attempt: number): void => {
    if (memory.retries.has(id)) return;
    memory.retries.add(id);
    log({ event: 'worker_retried', at: formatRfc3339(ctx.now()), delegation_id: id, retry_delegation_id: retryId, attempt });
  };

  const startReclaim = (path: string): void => {
    const job = reclaimDelegation(ctx, path)
      .then((result) => {
        if (result !== null) log({ event: 'worker_reclaimed', at: formatRfc3339(ctx.now()), delegation_id: result.delegation_id, state: result.state, termination: result.termination, process_id: result.process_id });
      })
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        inFlight.delete(path);
        trigger(0);
      });
    inFlight.set(path, job);
  };

  /** Budget action `cancel`: through the cancel op (the intent is recorded before any signal), in the background. */
  const startBudgetCancel = (path: string, delegationId: string, reason: string): void => {
    const job = cancelDelegation(ctx, delegationId, reason)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        inFlight.delete(path);
        trigger(0);
      });
    inFlight.set(path, job);
  };

  const collapse = async (card: string): Promise<void> => {
    const result = await collapseFanIn(ctx, { taskCardId: card });
    if (!result.collapsed || result.fan_in === null) return;
    crashPoint('fan_in_stamped');
    const key = `${card}@${String(result.fan_in.collapsed_at)}`;
    if (memory.fanIns.has(key)) return;
    memory.fanIns.add(key);
    log({ event: 'fan_in_collapsed', at: formatRfc3339(ctx.now()), ...result.fan_in, task_card_id: card });
  };

  /**
   * Collects the work of finished workers that have a worktree (see worktree/collect.ts) in the
   * background, like reclaims (a running collection holds its task card's fan-in back); a failure
   * is reported once, not retried by this supervisor.
   */
  const collectionFailed = new Set<string>();
  const startCollections = (records: readonly SupervisedRecord[]): void => {
    for (const d of records) {
      const info = worktreeOf(d.record);
      if (info === undefined || info.collected_at !== undefined || inFlight.has(d.path) || collectionFailed.has(d.path)) continue;
      if (!isTerminalChildStatus(childStatusOf(d.record))) continue;
      const job = collectWorktree(ctx, d.path)
        .catch((error: unknown) => {
          collectionFailed.add(d.path);
          options.onError?.(error);
        })
        .finally(() => {
          inFlight.delete(d.path);
          trigger(0);
        });
      inFlight.set(d.path, job);
    }
  };

  /** Carries out the plan's actions in order (see planSupervisorPass); `now` is the plan's. */
  const carryOut = async (actions: readonly SupervisorAction[], now: number): Promise<void> => {
    let retriesLaunched = 0;
    for (const action of actions) {
      switch (action.type) {
        case 'refresh-write':
          // Never planned here: passOnce writes every refresh before planning (planRefreshWrites).
          break;
        case 'log-transition':
          memory.phases.set(action.delegationId, action.to);
          if (endsIdle(action.to)) memory.idle = false;
          log({
            event: 'worker_transition',
            at: formatRfc3339(now),
            delegation_id: action.delegationId,
            task_card_id: action.taskCardId,
            from: action.from,
            to: action.to,
            ...(action.summary === undefined ? {} : { summary: action.summary }),
          });
          crashPoint('transition_logged');
          break;
        case 'reclaim':
          if (!inFlight.has(action.path)) startReclaim(action.path);
          break;
        case 'relaunch-lost': {
          const id = await relaunchLostLaunch(ctx, action.path, action.staleAfterMs, now);
          if (id !== undefined) log({ event: 'worker_relaunched', at: formatRfc3339(now), delegation_id: id, reason: 'monitor_never_claimed' });
          break;
        }
        case 'retry': {
          const created = await delegate(ctx, retryDelegateInput(action, maxParallel));
          crashPoint('retry_created');
          if (!created.reused && created.state === 'launching') retriesLaunched += 1;
          await updateJsonRecord(action.path, (current) => (getKey(current, 'retried_by') === undefined ? { ...current, retried_by: created.delegation_id } : undefined));
          crashPoint('retry_stamped');
          logRetry(action.of, created.delegation_id, action.attempt);
          again = true;
          break;
        }
        case 'log-retry':
          logRetry(action.of, action.retryId, action.attempt);
          break;
        case 'launch-queued': {
          let slots = action.slots === undefined ? Infinity : action.slots - retriesLaunched;
          for (const candidate of action.candidates) {
            if (slots <= 0) break;
            if (await launchDelegation(ctx, candidate.delegationId)) {
              crashPoint('queued_launched');
              slots -= 1;
              again = true;
            }
          }
          break;
        }
        case 'collapse-fan-in':
          await collapse(action.taskCardId);
          break;
        case 'log-budget-exceeded':
          memory.budgets.add(action.key);
          log({
            event: 'budget_exceeded',
            at: formatRfc3339(now),
            budget_key: action.key,
            reached: action.reached,
            total_tokens: action.usage.totalTokens,
            cost_usd: action.usage.costUsd,
            cost_unknown_workers: action.usage.costUnknownWorkers,
            max_tokens: action.budget.maxTokens,
            max_cost_usd: action.budget.maxCostUsd,
            budget_action: action.budget.action,
            summary: action.reason,
          });
          break;
        case 'cancel-for-budget':
          if (!inFlight.has(action.path)) startBudgetCancel(action.path, action.delegationId, action.reason);
          break;
        case 'hold-queued':
          for (const path of action.paths) await markHeld(path, action.reason);
          break;
        case 'log-run-idle':
          memory.idle = true;
          log({ event: 'run_idle', at: formatRfc3339(now), workers: action.workers, completed: action.completed, failed: action.failed, cancelled: action.cancelled });
          break;
        default:
          // A new action type fails the type check here until it is carried out.
          action satisfies never;
      }
    }
  };

  const passOnce = async (): Promise<void> => {
    const now = ctx.now();
    let records = observeRun(ctx);
    // Refreshes are written first: every decision is made on what is on disk.
    const writes = new Set(planRefreshWrites(records).map((w) => w.path));
    if (writes.size > 0) records = records.map((d) => (writes.has(d.path) ? writeRefresh(ctx, d) : d));
    startCollections(records);
    // run.json as it is now (`captain budget` edits it); usage is summed only when there is a budget.
    const budget = runBudgetOf(currentRunJson(ctx));
    const parallel = parallelLimit();
    maxParallel = parallel.limit;
    const plan = planSupervisorPass({
      budget,
      ...(budget === null ? {} : { budgetUsage: budgetUsageOf(records.map((d) => d.record)) }),
      launchHold: parallel.hold,
      delegations: records.map(withMonitorLiveness),
      taskCards: observeTaskCards(ctx),
      config: ctx.config,
      now,
      maxParallel,
      reclaiming: new Set(inFlight.keys()),
      memory,
    });
    await carryOut(plan.actions, now);
    hooks?.poll();
    if (timer) clearTimeout(timer);
    if (plan.nextWakeAt !== undefined && !stopped) timer = setTimeout(() => trigger(0), Math.max(plan.nextWakeAt - ctx.now(), 0));
  };

  const pass = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await passOnce();
        } catch (error) {
          options.onError?.(error);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  /** Runs a pass after `delayMs`, unless one is already due sooner (an earlier request wins). */
  function trigger(delayMs: number): void {
    if (stopped) return;
    const at = Date.now() + delayMs;
    if (debounce !== undefined) {
      if (debounceAt <= at) return;
      clearTimeout(debounce);
    }
    debounceAt = at;
    debounce = setTimeout(() => {
      debounce = undefined;
      void pass();
    }, delayMs);
  }

  // The run's changes come from the one watch API (fs.watch plus a safety poll). Records and
  // wrapper exit records (a result to write now) get the short delay; raw-events growth (chatty:
  // one per output line) the long one.
  const watcher = watchRun(ctx.runDir, { records: true, rawEvents: true });
  const watching = (async () => {
    while (!watcher.closed) {
      const changes = await watcher.batch();
      if (changes.length === 0) continue;
      trigger(changes.some((c) => c.kind !== 'raw-events') ? SUPERVISOR_RECORD_DEBOUNCE_MS : SUPERVISOR_RAW_EVENTS_DEBOUNCE_MS);
    }
  })().catch((error: unknown) => options.onError?.(error));
  await pass();

  return {
    runDir: ctx.runDir,
    pass,
    async stop() {
      stopped = true;
      watcher.close();
      await watching;
      if (timer) clearTimeout(timer);
      if (debounce) clearTimeout(debounce);
      await running;
      await Promise.allSettled(inFlight.values());
      if (hooks !== undefined) {
        hooks.poll();
        await hooks.settled({ timeoutMs: HOOK_STOP_WAIT_MS, commands: false }).catch((error: unknown) => options.onError?.(error));
        hooks.close();
      }
      release();
    },
  };
};

