/**
 * The run supervisor: event-driven (fs.watch on delegations/ and raw-events/, plus one timer armed
 * for the next moment something can change by time alone), crash-only (all state is on disk; a
 * restarted supervisor re-derives everything). Each pass refreshes heartbeats, logs transitions,
 * reclaims stuck workers, retries failed ones with backoff, launches queued ones within
 * max-parallel, and collapses fan-in when a task card's workers are all terminal.
 */
import { watch, type FSWatcher } from 'node:fs';
import { HOOK_STOP_WAIT_MS, SUPERVISOR_HOLD_RECHECK_MS, SUPERVISOR_ORPHAN_RECHECK_MS, SUPERVISOR_RAW_EVENTS_DEBOUNCE_MS, SUPERVISOR_RECORD_DEBOUNCE_MS } from '../config/defaults.js';
import { childStatusOf, deriveWorkerLifecycleView } from '../lifecycle/derive.js';
import { attemptOf, wantsRetry } from '../lifecycle/retry.js';
import { budgetKey, decideBudget, runBudgetOf, type BudgetDecision, type RunBudget } from '../lifecycle/budget.js';
import { budgetUsageOf, currentRunJson, markHeld } from '../ops/budget.js';
import { cancelDelegation } from '../ops/worker.js';
import { autoParallelLimit, type MachineLoad } from '../lifecycle/parallel-limit.js';
import { readMachineLoad } from '../process/meminfo.js';
import type { RunContext } from '../ops/context.js';
import { delegate, launchDelegation } from '../ops/delegate.js';
import { collapseFanIn } from '../ops/fan-in.js';
import { monitorLiveness } from '../ops/liveness.js';
import { reclaimDelegation } from '../ops/reclaim.js';
import { loadRefreshedDelegations, type LoadedDelegation } from '../ops/status.js';
import { workerKindOf } from '../ops/worker-kind.js';
import { appendRunEvent, type RunEvent } from '../store/events-log.js';
import type { HookDefinition } from '../hooks/config.js';
import { createHookDispatcher, type DeliveryOutcome } from '../hooks/dispatcher.js';
import { runLayout } from '../store/paths.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asInteger, asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../util/time.js';
import { collectWorktree } from '../worktree/collect.js';
import { worktreeOf } from '../worktree/record.js';
import { crashPoint } from './crash-point.js';
import { acquireSupervisorSlot } from './holder.js';
import { lostLaunchDueAt, relaunchLostLaunch } from './relaunch.js';
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

/** The phase the transition log records: the derived state, or `reclaimed` once reclaimed. */
const phaseOf = (record: JsonObject, view: ReturnType<typeof deriveWorkerLifecycleView>): string => {
  if (view === null) return childStatusOf(record);
  return view.reclaim_state === 'reclaimed' ? 'reclaimed' : view.state;
};

const requestOf = (record: JsonObject): JsonObject => {
  const request = getKey(record, 'worker_request');
  return isJsonObject(request) ? request : {};
};


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
  const parallelLimit = (delegations: LoadedDelegation[]): { limit: number | undefined; holdReason: string | null } => {
    if (parallelSetting !== 'auto') return { limit: parallelSetting, holdReason: null };
    const decision = autoParallelLimit(machineLoad());
    return { limit: decision.limit, holdReason: decision.reason };
  };
  const inFlight = new Map<string, Promise<unknown>>();
  const watchers: FSWatcher[] = [];
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

  const logTransitions = (delegations: LoadedDelegation[], now: number): void => {
    for (const d of delegations) {
      const id = asString(getKey(d.record, 'delegation_id'));
      if (id === undefined) continue;
      const view = deriveWorkerLifecycleView(d.record, ctx.config, now);
      const phase = phaseOf(d.record, view);
      const before = memory.phases.get(id);
      if (before === phase) continue;
      memory.phases.set(id, phase);
      log({
        event: 'worker_transition',
        at: formatRfc3339(now),
        delegation_id: id,
        task_card_id: asString(getKey(d.record, 'task_card_id')) ?? null,
        from: before ?? null,
        to: phase,
        ...(['returned', 'failed', 'cancelled', 'reclaimed'].includes(phase) ? { summary: asString(getKey(d.record, 'result_summary')) ?? null } : {}),
      });
      crashPoint('transition_logged');
    }
  };

  const startReclaims = (delegations: LoadedDelegation[], now: number): void => {
    if (!ctx.config.worker_auto_reclaim_enabled) return;
    for (const d of delegations) {
      const view = deriveWorkerLifecycleView(d.record, ctx.config, now);
      if (view?.reclaim_state !== 'reclaim_needed' || inFlight.has(d.path)) continue;
      const job = reclaimDelegation(ctx, d.path)
        .then((result) => {
          if (result !== null) log({ event: 'worker_reclaimed', at: formatRfc3339(ctx.now()), delegation_id: result.delegation_id, state: result.state, termination: result.termination, process_id: result.process_id });
        })
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          inFlight.delete(d.path);
          trigger(0);
        });
      inFlight.set(d.path, job);
    }
  };

  /** Creates due retries; returns the next due time of a pending one and how many retries started running. */
  const retry = async (delegations: LoadedDelegation[], now: number, maxParallel: number | undefined): Promise<{ nextDue: number | undefined; launched: number }> => {
    let nextDue: number | undefined;
    let launched = 0;
    const maxRetries = ctx.config.worker_max_retries_per_phase;
    for (const d of delegations) {
      if (!wantsRetry(d.record, maxRetries)) continue;
      const attempt = attemptOf(d.record);
      const completedAt = parseRfc3339Millis(getKey(d.record, 'completed_at')) ?? now;
      const due = completedAt + ctx.config.worker_retry_backoff_ms * 2 ** (attempt - 1);
      if (due > now) {
        nextDue = Math.min(nextDue ?? due, due);
        continue;
      }
      const id = String(getKey(d.record, 'delegation_id'));
      const request = requestOf(d.record);
      const root = asString(getKey(request, 'retry_root')) ?? id;
      const command = getKey(getKey(d.record, 'worker_launch_evidence'), 'command');
      const env = getKey(request, 'env');
      // The idempotency key makes a retry created before a crash the one found after it.
      const created = await delegate(ctx, {
        kind: workerKindOf(d.record),
        taskCardId: asString(getKey(d.record, 'task_card_id')) ?? '',
        title: asString(getKey(d.record, 'summary')) ?? id,
        ...(asString(getKey(request, 'prompt')) === undefined ? {} : { prompt: asString(getKey(request, 'prompt'))! }),
        argv: Array.isArray(getKey(request, 'argv')) ? (getKey(request, 'argv') as unknown[]).filter((a): a is string => typeof a === 'string') : [],
        ...(Array.isArray(command) ? { command: command.filter((a): a is string => typeof a === 'string') } : {}),
        ...(asString(getKey(request, 'cwd')) === undefined ? {} : { cwd: asString(getKey(request, 'cwd'))! }),
        ...(asString(getKey(request, 'stdin_file')) === undefined ? {} : { stdinFile: asString(getKey(request, 'stdin_file'))! }),
        ...(asString(getKey(d.record, 'lane_id')) === undefined ? {} : { lane: asString(getKey(d.record, 'lane_id'))! }),
        env: isJsonObject(env) ? (Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {},
        ...(isJsonObject(getKey(request, 'launch_env')) ? { launchEnv: Object.fromEntries(Object.entries(getKey(request, 'launch_env') as JsonObject).filter(([, v]) => typeof v === 'string')) as Record<string, string> } : {}),
        idempotencyKey: `retry:${root}:${attempt + 1}`,
        retryOf: id,
        retryRoot: root,
        attempt: attempt + 1,
        ...(maxParallel === undefined ? {} : { maxParallel }),
      });
      crashPoint('retry_created');
      if (!created.reused && created.state === 'launching') launched += 1;
      await updateJsonRecord(d.path, (current) => (getKey(current, 'retried_by') === undefined ? { ...current, retried_by: created.delegation_id } : undefined));
      crashPoint('retry_stamped');
      logRetry(id, created.delegation_id, attempt + 1);
      again = true;
    }
    // A retry stamped before a crash but not yet logged is logged now (the log is the memory).
    for (const d of delegations) {
      const id = asString(getKey(d.record, 'delegation_id'));
      const retriedBy = asString(getKey(d.record, 'retried_by'));
      if (id !== undefined && retriedBy !== undefined) logRetry(id, retriedBy, attemptOf(d.record) + 1);
    }
    return { nextDue, launched };
  };

  /** Logs `worker_retried` once per retried delegation, however many crashes it took. */
  const logRetry = (id: string, retryId: string, attempt: number): void => {
    if (memory.retries.has(id)) return;
    memory.retries.add(id);
    log({ event: 'worker_retried', at: formatRfc3339(ctx.now()), delegation_id: id, retry_delegation_id: retryId, attempt });
  };

  /** Launches queued delegations while fewer than max-parallel run (`alsoRunning`: launched since `delegations` was read). */
  const launchQueued = async (delegations: LoadedDelegation[], alsoRunning: number, maxParallel: number | undefined): Promise<void> => {
    let active = delegations.filter((d) => childStatusOf(d.record) === 'running').length + alsoRunning;
    for (const d of delegations) {
      if (childStatusOf(d.record) !== 'queued' || getKey(getKey(d.record, 'worker_lifecycle'), 'generation') === undefined) continue;
      if (maxParallel !== undefined && active >= maxParallel) return;
      if (await launchDelegation(ctx, String(getKey(d.record, 'delegation_id')))) {
        crashPoint('queued_launched');
        active += 1;
        again = true;
      }
    }
  };

  const collapse = async (delegations: LoadedDelegation[]): Promise<void> => {
    const cards = new Map<string, LoadedDelegation[]>();
    for (const d of delegations) {
      const card = asString(getKey(d.record, 'task_card_id'));
      if (card !== undefined) cards.set(card, [...(cards.get(card) ?? []), d]);
    }
    const maxRetries = ctx.config.worker_max_retries_per_phase;
    for (const [card, members] of cards) {
      const settled = members.every((d) => ['completed', 'failed', 'cancelled'].includes(childStatusOf(d.record)) && !wantsRetry(d.record, maxRetries));
      if (!settled || members.some((d) => inFlight.has(d.path))) continue;
      if (members.every((d) => memory.fanIns.has(`${card}@${String(getKey(d.record, 'fan_in_collapsed_at'))}`))) continue;
      const result = await collapseFanIn(ctx, { taskCardId: card });
      if (!result.collapsed || result.fan_in === null) continue;
      crashPoint('fan_in_stamped');
      const key = `${card}@${String(result.fan_in.collapsed_at)}`;
      if (memory.fanIns.has(key)) continue;
      memory.fanIns.add(key);
      log({ event: 'fan_in_collapsed', at: formatRfc3339(ctx.now()), ...result.fan_in, task_card_id: card });
    }
  };

  /** Collects the work of finished workers that have a worktree (see worktree/collect.ts); a failure is reported once, not retried by this supervisor. */
  const collectionFailed = new Set<string>();
  const startCollections = (delegations: LoadedDelegation[]): void => {
    for (const d of delegations) {
      const info = worktreeOf(d.record);
      if (info === undefined || info.collected_at !== undefined || inFlight.has(d.path) || collectionFailed.has(d.path)) continue;
      if (!['completed', 'failed', 'cancelled'].includes(childStatusOf(d.record))) continue;
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

  /** Logs `budget_exceeded` once per budget crossed (the log is the memory, across restarts). */
  const logBudget = (budget: RunBudget, decision: BudgetDecision, delegations: LoadedDelegation[], now: number): void => {
    const key = budgetKey(budget);
    if (memory.budgets.has(key)) return;
    memory.budgets.add(key);
    const usage = budgetUsageOf(delegations.map((d) => d.record));
    log({
      event: 'budget_exceeded',
      at: formatRfc3339(now),
      budget_key: key,
      reached: decision.reached,
      total_tokens: usage.totalTokens,
      cost_usd: usage.costUsd,
      cost_unknown_workers: usage.costUnknownWorkers,
      max_tokens: budget.maxTokens,
      max_cost_usd: budget.maxCostUsd,
      budget_action: budget.action,
      summary: decision.reason,
    });
  };

  /** Budget action `cancel`: cancels every running worker through the cancel op (intent recorded first). */
  const startBudgetCancels = (delegations: LoadedDelegation[], reason: string): void => {
    for (const d of delegations) {
      const id = asString(getKey(d.record, 'delegation_id'));
      if (id === undefined || childStatusOf(d.record) !== 'running' || inFlight.has(d.path)) continue;
      const job = cancelDelegation(ctx, id, reason)
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          inFlight.delete(d.path);
          trigger(0);
        });
      inFlight.set(d.path, job);
    }
  };

  /** Queued delegations stay queued while launches are held; each says why (status shows it). */
  const holdQueued = async (delegations: LoadedDelegation[], reason: string): Promise<void> => {
    for (const d of delegations) if (childStatusOf(d.record) === 'queued') await markHeld(d.path, reason);
  };

  /** Launches again the delegations whose launcher died before their monitor started (see relaunch.ts). */
  const relaunchLost = async (delegations: LoadedDelegation[], now: number): Promise<void> => {
    for (const d of delegations) {
      const view = deriveWorkerLifecycleView(d.record, ctx.config, now);
      if (view === null || inFlight.has(d.path)) continue;
      const due = lostLaunchDueAt(d.record, view.stale_after_ms);
      if (due === undefined || due > now) continue;
      const id = await relaunchLostLaunch(ctx, d.path, view.stale_after_ms, now);
      if (id !== undefined) log({ event: 'worker_relaunched', at: formatRfc3339(now), delegation_id: id, reason: 'monitor_never_claimed' });
    }
  };

  /** When the next quiet / stale / timeout crossing (or retry, or orphan re-check) is due. */
  const nextWake = (delegations: LoadedDelegation[], now: number, retryDue: number | undefined, holding: boolean): number | undefined => {
    let next = retryDue;
    const consider = (at: number): void => {
      if (at > now) next = Math.min(next ?? at, at);
    };
    // Held launches: a raised budget or freed memory raises no file event, so look again.
    if (holding && delegations.some((d) => childStatusOf(d.record) === 'queued' || wantsRetry(d.record, ctx.config.worker_max_retries_per_phase))) consider(now + SUPERVISOR_HOLD_RECHECK_MS);
    for (const d of delegations) {
      if (childStatusOf(d.record) !== 'running') continue;
      const view = deriveWorkerLifecycleView(d.record, ctx.config, now);
      const progress = parseRfc3339Millis(getKey(getKey(d.record, 'worker_lifecycle'), 'last_progress_at'));
      if (view !== null && progress !== undefined) {
        for (const threshold of [view.quiet_after_ms, view.stale_after_ms, view.timeout_after_ms]) consider(progress + threshold + 1);
      }
      if (monitorLiveness(d.record) !== 'alive') consider(now + SUPERVISOR_ORPHAN_RECHECK_MS);
      if (view !== null) {
        const lost = lostLaunchDueAt(d.record, view.stale_after_ms);
        if (lost !== undefined) consider(lost);
      }
    }
    return next;
  };

  const passOnce = async (): Promise<void> => {
    const now = ctx.now();
    const { delegations } = loadRefreshedDelegations(ctx, null, { write: true });
    logTransitions(delegations, now);
    startReclaims(delegations, now);
    startCollections(delegations);
    await relaunchLost(delegations, now);
    // The run budget (pure decision: lifecycle/budget.ts): once reached, nothing new launches.
    const budget = runBudgetOf(currentRunJson(ctx));
    // Usage is summed only when the run has a budget (pricing every record each pass is not free).
    const decision = decideBudget(budget, budget === null ? { totalTokens: 0, costUsd: null, costUnknownWorkers: 0 } : budgetUsageOf(delegations.map((d) => d.record)));
    if (budget !== null && decision.exceeded) logBudget(budget, decision, delegations, now);
    if (decision.cancelRunning && decision.reason !== null) startBudgetCancels(delegations, decision.reason);
    const parallel = parallelLimit(delegations);
    const holdReason = (decision.holdLaunches ? decision.reason : null) ?? parallel.holdReason;
    let retryDue: number | undefined;
    if (holdReason !== null) {
      await holdQueued(delegations, holdReason);
    } else {
      const retried = await retry(delegations, now, parallel.limit);
      retryDue = retried.nextDue;
      await launchQueued(delegations, retried.launched, parallel.limit);
    }
    await collapse(delegations);
    hooks?.poll();
    if (timer) clearTimeout(timer);
    const wake = nextWake(delegations, ctx.now(), retryDue, holdReason !== null);
    if (wake !== undefined && !stopped) timer = setTimeout(() => trigger(0), Math.max(wake - ctx.now(), 0));
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

  const layout = runLayout(ctx.runDir);
  for (const [dir, delay] of [[layout.delegationsDir, SUPERVISOR_RECORD_DEBOUNCE_MS], [layout.rawEventsDir, SUPERVISOR_RAW_EVENTS_DEBOUNCE_MS]] as const) {
    try {
      // A wrapper's exit record means a result to write now: it gets the short delay, not the raw-events one.
      watchers.push(watch(dir, (_event, name) => trigger(typeof name === 'string' && name.endsWith('.exit.json') ? SUPERVISOR_RECORD_DEBOUNCE_MS : delay)));
    } catch {
      // A missing folder: the timer still drives the passes.
    }
  }
  await pass();

  return {
    runDir: ctx.runDir,
    pass,
    async stop() {
      stopped = true;
      for (const w of watchers) w.close();
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

