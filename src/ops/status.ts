/**
 * `captain status`: the seed's `worker_visibility` and `reclaim_plan` for a task card, after the
 * heartbeat refresh (or without writing anything, for `--snapshot`). A record that cannot be read
 * is reported in `errors` and skipped; it never hides the others.
 */
import { assembleReclaimPlanPayload, type ReclaimPlanPayload } from '../lifecycle/reclaim-plan.js';
import { assembleWorkerVisibilityPayload, type FactualWorker, type WorkerVisibilityPayload } from '../lifecycle/visibility.js';
import { holdExitHandlers } from '../store/json-file.js';
import type { RecordCache } from '../store/record-cache.js';
import { listDelegationFilesOrNull, loadDelegations, loadTaskCards } from '../store/records.js';
import type { JsonText } from '../util/json-text.js';
import { describeError } from '../errors.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { refreshDelegationSync } from './refresh.js';
import { startRefreshWriter, type RefreshWriter } from './refresh-writes.js';
import { startObservationPass } from './observation-pass.js';
import {
  processStatusSlice,
  settleDeferredWrites,
  type Encoded,
  type RecordError,
  type StatusEncoding,
  type StatusItem,
  type StatusJob,
  type StatusRefresh,
  type StatusSlice,
} from './status-slice.js';
import { STATUS_SLICE_FILES, STATUS_WRITER_THREAD_MIN_FILES } from '../config/defaults.js';
import { sumUsage, sumUsageContributions, type UsageTotals } from './usage.js';

export type { RecordError, StatusRefresh } from './status-slice.js';

/**
 * One task card's status. `E` is how a worker (and a reclaim target) is carried: an object for
 * the library, its JSON text for the CLI's `--json` output.
 */
export type TaskCardStatusOf<E> = {
  task_card_id: string;
  /** Null when the run has no `delegations/` folder (as the seed). */
  worker_visibility: WorkerVisibilityPayload<E> | null;
  reclaim_plan: ReclaimPlanPayload<E> | null;
  /** Token usage and cost of the task card's workers. */
  usage: UsageTotals;
};

export type StatusResultOf<E> = {
  run_dir: string;
  task_card_id: string | null;
  worker_visibility: WorkerVisibilityPayload<E> | null;
  reclaim_plan: ReclaimPlanPayload<E> | null;
  /** Token usage and cost of the task card's workers (captain's addition to the seed's payload). */
  usage: UsageTotals | null;
  /** Every task card, when none was named and run.json names no active one. */
  task_cards?: TaskCardStatusOf<E>[];
  /** The same over every delegation of the run. */
  run_usage: UsageTotals;
  errors: RecordError[];
};

export type TaskCardStatus = TaskCardStatusOf<JsonObject>;
export type StatusResult = StatusResultOf<JsonObject>;

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
    let record = entry.record;
    try {
      record = refreshDelegationSync(ctx, entry.path, entry.record, opts).record;
    } catch (error) {
      // Reported, and kept as persisted (as status shows it): fan-in must not collapse past it.
      errors.push({ path: entry.path, reason: describeError(error) });
    }
    delegations.push({ ...entry, record });
    everyRecord.push(record);
  }
  return { delegations, errors, runUsage: sumUsage(everyRecord) };
};

/** One task card's payloads from its items (in listing order); null payloads without a `delegations/` folder. */
const cardStatus = <E>(ctx: RunContext, taskCardId: string, items: readonly StatusItem<E>[], hasDelegations: boolean): TaskCardStatusOf<E> => {
  const usage = sumUsageContributions(items.map((item) => item.usage));
  if (!hasDelegations) return { task_card_id: taskCardId, worker_visibility: null, reclaim_plan: null, usage };
  const workers: FactualWorker<E>[] = [];
  const targets: E[] = [];
  for (const item of items) {
    if (item.worker !== null) workers.push(item.worker);
    if (item.target !== null) targets.push(item.target);
  }
  const visibility = assembleWorkerVisibilityPayload(taskCardId, workers);
  const plan = assembleReclaimPlanPayload(ctx.config, targets, { stale: visibility.stale_worker_count, timedOut: visibility.timed_out_worker_count });
  return { task_card_id: taskCardId, worker_visibility: visibility, reclaim_plan: plan, usage };
};

/** Every task card id the run knows: its task-card files and the ids its delegations name, sorted. */
const allTaskCardIds = (ctx: RunContext, delegationCardIds: Iterable<string>, errors: RecordError[]): string[] => {
  const cards = loadTaskCards(ctx.runDir);
  errors.push(...cards.errors.map((e) => ({ path: e.path, reason: e.reason })));
  const ids = new Set<string>();
  for (const card of cards.records) {
    const id = asString(getKey(card.record, 'task_card_id')) ?? card.fileName.replace(/\.json$/, '');
    ids.add(id);
  }
  for (const id of delegationCardIds) if (id.trim() !== '') ids.add(id);
  return [...ids].sort();
};

export interface StatusOptions {
  taskCardId?: string;
  /** Default `write` (see {@link StatusRefresh}). */
  refresh?: StatusRefresh;
  /** Shorthand for `refresh: 'none'`: the seed's snapshot payload, from the records as persisted. */
  snapshot?: boolean;
  /** Every task card (`task_cards`), even when run.json names an active one. Not with `taskCardId`. */
  allCards?: boolean;
}

interface StatusPlan {
  job: StatusJob;
  taskCardId: string | null;
  /** The delegation files, sorted; null without a `delegations/` folder. */
  paths: string[] | null;
}

const planStatus = (ctx: RunContext, opts: StatusOptions): StatusPlan => {
  const taskCardId = opts.allCards === true ? null : targetTaskCardId(ctx, opts.taskCardId);
  return {
    taskCardId,
    paths: listDelegationFilesOrNull(ctx.runDir),
    job: {
      refresh: opts.refresh ?? (opts.snapshot === true ? 'none' : 'write'),
      taskCardIds: taskCardId === null ? null : new Set([taskCardId]),
    },
  };
};

/** The status from the slices' results (in listing order). */
const assembleStatus = <E>(ctx: RunContext, plan: StatusPlan, slices: readonly StatusSlice<E>[]): StatusResultOf<E> => {
  const readErrors: RecordError[] = [];
  const refreshErrors: RecordError[] = [];
  const items: StatusItem<E>[] = [];
  for (const slice of slices) {
    readErrors.push(...slice.readErrors);
    refreshErrors.push(...slice.refreshErrors);
    for (const item of slice.items) items.push(item);
  }
  const errors = [...readErrors, ...refreshErrors];
  const runUsage = sumUsageContributions(items.map((item) => item.usage));
  const hasDelegations = plan.paths !== null;
  if (plan.taskCardId !== null) {
    const card = cardStatus(ctx, plan.taskCardId, items.filter((item) => item.cardId !== null), hasDelegations);
    return { run_dir: ctx.runDir, task_card_id: plan.taskCardId, worker_visibility: card.worker_visibility, reclaim_plan: card.reclaim_plan, usage: card.usage, run_usage: runUsage, errors };
  }
  const byCard = new Map<string, StatusItem<E>[]>();
  for (const item of items) {
    if (item.cardId === null) continue;
    const list = byCard.get(item.cardId) ?? [];
    list.push(item);
    byCard.set(item.cardId, list);
  }
  const ids = allTaskCardIds(ctx, byCard.keys(), errors);
  return {
    run_dir: ctx.runDir,
    task_card_id: null,
    worker_visibility: null,
    reclaim_plan: null,
    usage: null,
    task_cards: ids.map((id) => cardStatus(ctx, id, byCard.get(id) ?? [], hasDelegations)),
    run_usage: runUsage,
    errors,
  };
};

/**
 * The seed's payloads for a task card (or every task card), after the heartbeat refresh (or as
 * chosen by `refresh` / `snapshot`). Unreadable records are reported in `errors` and left out; a
 * record that cannot be refreshed is reported and shown as persisted.
 */
export const getStatus = (ctx: RunContext, opts: StatusOptions = {}): StatusResult => {
  const plan = planStatus(ctx, opts);
  const slice = processStatusSlice(ctx, plan.job, plan.paths ?? [], 'objects');
  return assembleStatus(ctx, plan, [slice]);
};

export interface StatusDocumentOptions extends StatusOptions {
  /** Delegation files per slice (default STATUS_SLICE_FILES). */
  sliceFiles?: number;
  /**
   * Where refreshed records are written: a writer (tests pass their own), or null for inline.
   * Default: the refresh writer thread from STATUS_WRITER_THREAD_MIN_FILES delegation files on,
   * inline below (the thread's start-up would cost more than it hides).
   */
  writer?: RefreshWriter | null;
  /** Told, once the refresh is settled: records the writer thread wrote, and records it handed back to be refreshed again here (changed on disk meanwhile, a failed write, or no thread). */
  onWrites?: (counts: { byWriter: number; handedBack: number }) => void;
  /**
   * Where unchanged delegation files are taken from instead of being read (see record-cache.ts).
   * The caller saves it once the answer is out: with `getStatusDocument`, an entry taken from a
   * view is filled in only when it is written, read again from the cache's file (no memory of its
   * own meanwhile), so the document must be written (or its texts read) before `save` or
   * `discard`; after, writing it throws. Default: none, every file is read.
   */
  recordCache?: RecordCache;
}

/**
 * Works through the delegations slice by slice (`sliceFiles` files each, so no record outlives its
 * slice). With refresh `write`, the records a slice refreshes are written by the refresh writer
 * thread while the next slices are read; every write is settled (done, or redone here under the
 * lock) before this returns.
 */
const statusSlices = async <K extends StatusEncoding>(
  ctx: RunContext,
  plan: StatusPlan,
  encoding: K,
  opts: StatusDocumentOptions,
): Promise<StatusSlice<Encoded<K>>[]> => {
  const paths = plan.paths ?? [];
  const size = Math.max(1, opts.sliceFiles ?? STATUS_SLICE_FILES);
  const ownWriter = opts.writer === undefined && plan.job.refresh === 'write' && paths.length >= STATUS_WRITER_THREAD_MIN_FILES;
  const writer = plan.job.refresh !== 'write' ? undefined : ownWriter ? startRefreshWriter() : (opts.writer ?? undefined);
  const slices: StatusSlice<Encoded<K>>[] = [];
  const settled: Promise<void>[] = [];
  const counts = { byWriter: 0, handedBack: 0 };
  // Inline refresh writes come in bursts too (see holdExitHandlers).
  const releaseExitHandlers = plan.job.refresh === 'write' ? holdExitHandlers() : undefined;
  // One look at each process and folder for the whole status (see observation-pass.ts).
  const pass = startObservationPass({ witnesses: opts.recordCache !== undefined });
  try {
    for (let i = 0; i < paths.length; i += size) {
      const slice = processStatusSlice(ctx, plan.job, paths.slice(i, i + size), encoding, { deferWrites: writer !== undefined, recordCache: opts.recordCache, pass });
      slices.push(slice);
      if (writer !== undefined && slice.deferred.length > 0) {
        settled.push(
          writer.submit(slice.deferred.map((d) => d.write)).then((outcomes) => {
            counts.byWriter += outcomes.filter((o) => o.outcome === 'written').length;
            counts.handedBack += settleDeferredWrites(ctx, slice, outcomes, encoding);
          }),
        );
      }
    }
    await Promise.all(settled);
    opts.onWrites?.(counts);
  } finally {
    releaseExitHandlers?.();
    if (ownWriter) await writer?.close();
  }
  return slices;
};

/**
 * {@link getStatus} for output as JSON: the same result, but every worker and reclaim target is
 * carried as its JSON text ({@link JsonText}). `writeJsonDocument` prints it; the bytes equal
 * `JSON.stringify` of what getStatus returns (each slice derives at its own `now`).
 */
export const getStatusDocument = async (ctx: RunContext, opts: StatusDocumentOptions = {}): Promise<StatusResultOf<JsonText>> => {
  const plan = planStatus(ctx, opts);
  const slices = await statusSlices(ctx, plan, 'json', opts);
  return assembleStatus(ctx, plan, slices);
};

/** {@link getStatus}, worked through slice by slice with the writes off the main thread (the CLI's text view). */
export const getStatusAsync = async (ctx: RunContext, opts: StatusDocumentOptions = {}): Promise<StatusResult> => {
  const plan = planStatus(ctx, opts);
  const slices = await statusSlices(ctx, plan, 'objects', opts);
  return assembleStatus(ctx, plan, slices);
};
