/**
 * One slice of `captain status`: read some delegation files, refresh the running ones, and derive
 * the visible worker of each delegation of the shown task cards. Each slice is refreshed first and
 * then derived at one `now`, as the seed derives after refreshing.
 */
import type { RuntimeConfig } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { reclaimTargetOf } from '../lifecycle/reclaim-plan.js';
import { createVisibleWorker, workerFacts, type FactualWorker, type VisibleWorker } from '../lifecycle/visibility.js';
import { createReadScratch, readRecordFile } from '../store/records.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import type { RunContext } from './context.js';
import { refreshDelegationSync } from './refresh.js';
import { usageOf, type UsageContribution } from './usage.js';

export interface RecordError extends JsonObject {
  path: string;
  reason: string;
}

/** Everything a slice needs. */
export interface StatusJob {
  runDir: string;
  run: JsonObject;
  config: RuntimeConfig;
  allowOutsidePaths: boolean;
  /** How running delegations are refreshed (see {@link StatusRefresh}). */
  refresh: StatusRefresh;
  /** The task cards whose workers are shown; null: every task card. */
  taskCardIds: string[] | null;
}

/**
 * `write`: the heartbeat refresh, written (the seed's status); `observe`: the same observation,
 * nothing written (live views while another process writes); `none`: the records as persisted,
 * nothing looked at beyond them (the seed's snapshot payload, `--snapshot`).
 */
export type StatusRefresh = 'write' | 'observe' | 'none';

/** How a slice hands back workers and reclaim targets: as objects, or as their JSON text. */
export type StatusEncoding = 'objects' | 'json';
export type Encoded<K extends StatusEncoding> = K extends 'json' ? string : JsonObject;

/** One delegation file of the slice. */
export interface StatusItem<E> {
  /** The task card it belongs to, when its worker is shown. */
  cardId: string | null;
  worker: FactualWorker<E> | null;
  /** Its `reclaim_plan.targets` entry, when it needs reclaim. */
  target: E | null;
  /** What it adds to the run's (and its card's) usage totals. */
  usage: UsageContribution | null;
}

export interface StatusSlice<E> {
  items: StatusItem<E>[];
  /** Files that could not be read or parsed: left out. */
  readErrors: RecordError[];
  /** Records that could not be refreshed (e.g. a raw events path outside the run): shown as persisted. */
  refreshErrors: RecordError[];
}

/** Reads, refreshes and derives the delegations in `paths` (in order), with `now` as the clock. */
export const processStatusSlice = <K extends StatusEncoding>(
  job: StatusJob,
  paths: readonly string[],
  encoding: K,
  now: () => number,
): StatusSlice<Encoded<K>> => {
  const ctx: RunContext = { runDir: job.runDir, run: job.run, config: job.config, allowOutsidePaths: job.allowOutsidePaths, now };
  const shown = job.taskCardIds === null ? null : new Set(job.taskCardIds);
  const encode = (encoding === 'json' ? JSON.stringify : (value: JsonObject) => value) as (value: JsonObject) => Encoded<K>;
  const scratch = createReadScratch();
  const readErrors: RecordError[] = [];
  const refreshErrors: RecordError[] = [];
  const pending: { record: JsonObject; cardId: string | null }[] = [];
  for (const path of paths) {
    const read = readRecordFile(path, scratch);
    if (read === null) continue;
    if ('error' in read) {
      readErrors.push({ path: read.error.path, reason: read.error.reason });
      continue;
    }
    const cardId = asString(getKey(read.record, 'task_card_id'));
    if (shown !== null && (cardId === undefined || !shown.has(cardId))) {
      pending.push({ record: read.record, cardId: null });
      continue;
    }
    let record = read.record;
    if (job.refresh !== 'none') {
      try {
        record = refreshDelegationSync(ctx, path, read.record, { write: job.refresh === 'write' }).record;
      } catch (error) {
        refreshErrors.push({ path, reason: describeError(error) });
      }
    }
    pending.push({ record, cardId: cardId ?? null });
  }
  // Derived after the whole slice is refreshed, at one instant.
  const derivedAt = ctx.now();
  const items = pending.map(({ record, cardId }): StatusItem<Encoded<K>> => {
    const usage = usageOf(record);
    if (cardId === null) return { cardId: null, worker: null, target: null, usage };
    const view: VisibleWorker = createVisibleWorker(record, job.config, derivedAt);
    const target = reclaimTargetOf(view);
    return {
      cardId,
      worker: { entry: encode(view), facts: workerFacts(view) },
      target: target === null ? null : encode(target),
      usage,
    };
  });
  return { items, readErrors, refreshErrors };
};
