/**
 * One slice of `captain status`: read some delegation files, refresh the running ones, and derive
 * the visible worker of each delegation of the shown task cards. Each slice is refreshed first and
 * then derived at one `now`, as the seed derives after refreshing.
 */
import type { RuntimeConfig } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { reclaimTargetOf } from '../lifecycle/reclaim-plan.js';
import { buildViewTemplate, fillViewTemplate, hasAgeOnlyEntry } from '../lifecycle/view-template.js';
import { createVisibleWorker, workerFacts, type FactualWorker, type VisibleWorker } from '../lifecycle/visibility.js';
import { createReadScratch, parseCheckedRecordText } from '../store/json-file.js';
import type { RecordCache } from '../store/record-cache.js';
import { readRecordFile } from '../store/records.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import type { RunContext } from './context.js';
import { startObservationPass, type ObservationPass } from './observation-pass.js';
import { witnessHolds, type ObservationWitness } from './observation-witness.js';
import { observeDelegation, refreshDelegationSync } from './refresh.js';
import type { RefreshWrite } from './refresh-writer.js';
import { decodeStatusView, encodeStatusView, fillStatusView, viewHoldsAt, ViewEntryFiller, type CachedStatusView } from './status-view-cache.js';
import { usageOf, type UsageContribution } from './usage.js';
import { JsonText } from '../util/json-text.js';

export interface RecordError extends JsonObject {
  path: string;
  reason: string;
}

/** What a status asks of each slice. */
export interface StatusJob {
  /** How running delegations are refreshed (see {@link StatusRefresh}). */
  refresh: StatusRefresh;
  /** The task cards whose workers are shown; null: every task card. */
  taskCardIds: ReadonlySet<string> | null;
}

/**
 * `write`: the heartbeat refresh, written (the seed's status); `observe`: the same observation,
 * nothing written (live views while another process writes); `none`: the records as persisted,
 * nothing looked at beyond them (the seed's snapshot payload, `--snapshot`).
 */
export type StatusRefresh = 'write' | 'observe' | 'none';

/** How a slice hands back workers and reclaim targets: as objects, or as their JSON text. */
export type StatusEncoding = 'objects' | 'json';
/**
 * JSON: the entry's text as its UTF-8 bytes (off V8's heap while the status is assembled), or, for
 * an entry from the record cache, as what makes them when they are written (see ViewEntryFiller).
 */
export type Encoded<K extends StatusEncoding> = K extends 'json' ? JsonText : JsonObject;

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
  /** With `deferWrites`: the refreshed records still to be written (their items already show them). */
  deferred: DeferredWrite[];
  /** The instant the slice was derived at. */
  derivedAt: number;
}

/** A refresh the slice shows but has not written yet. */
export interface DeferredWrite {
  /** Its item's index in the slice. */
  index: number;
  /** The record as read (to redo the refresh under the lock when the write cannot go ahead). */
  original: JsonObject;
  cardId: string | null;
  write: RefreshWrite;
}

const ENCODERS: Record<StatusEncoding, (value: JsonObject) => Encoded<StatusEncoding>> = {
  objects: (value) => value,
  json: (value) => new JsonText(Buffer.from(JSON.stringify(value), 'utf8')),
};

/** Derives one delegation's item (its worker and reclaim target when its task card is shown). */
export const statusItem = <K extends StatusEncoding>(
  record: JsonObject,
  cardId: string | null,
  config: RuntimeConfig,
  derivedAt: number,
  encoding: K,
): StatusItem<Encoded<K>> => {
  const encode = ENCODERS[encoding] as (value: JsonObject) => Encoded<K>;
  const usage = usageOf(record);
  if (cardId === null) return { cardId: null, worker: null, target: null, usage };
  const view: VisibleWorker = createVisibleWorker(record, config, derivedAt);
  const target = reclaimTargetOf(view);
  return {
    cardId,
    worker: { entry: encode(view), facts: workerFacts(view) },
    target: target === null ? null : encode(target),
    usage,
  };
};

/** Where a view read from the record cache lies there, to be read again when its entry is written. */
interface ViewSource {
  cache: RecordCache;
  /** Its bytes' offset in the cache file. */
  at: number;
}

/**
 * A worker's item from its cached view, filled in at `derivedAt`; null when the view no longer
 * holds then (a running worker's, past its next threshold: derive its record instead). In JSON,
 * with the view's `source`, the entry is filled in only when it is written (ViewEntryFiller).
 */
const cachedStatusItem = <K extends StatusEncoding>(view: CachedStatusView, source: ViewSource | undefined, shown: ReadonlySet<string> | null, derivedAt: number, encoding: K): StatusItem<Encoded<K>> | null => {
  if (shown !== null && !shown.has(view.cardId)) return { cardId: null, worker: null, target: null, usage: view.usage };
  if (!viewHoldsAt(view, derivedAt)) return null;
  let entry: Encoded<K>;
  if (encoding === 'json') entry = new JsonText(source === undefined ? fillStatusView(view, derivedAt) : new ViewEntryFiller(source.cache.reread, source.at + view.templateStart, view, derivedAt)) as Encoded<K>;
  else entry = JSON.parse(fillStatusView(view, derivedAt).toString('utf8')) as Encoded<K>;
  let target: Encoded<K> | null = null;
  if (view.target !== null) {
    const text = fillViewTemplate(view.target, derivedAt);
    target = (encoding === 'json' ? new JsonText(Buffer.from(text, 'utf8')) : (JSON.parse(text) as JsonObject)) as Encoded<K>;
  }
  return { cardId: view.cardId, worker: { entry, facts: view.facts }, target, usage: view.usage };
};

/**
 * One delegation file of a slice on its way to an item: a record (with the view it was filed
 * under, when that was a running worker's), or a view alone (a worker that is not running, or a
 * running one shown as persisted, `--snapshot`; its record is parsed only if the view has run out).
 */
type PendingItem =
  | { record: JsonObject; cardId: string | null; path: string; asRead: JsonObject; view?: CachedStatusView; source?: ViewSource; witness?: ObservationWitness }
  | { view: CachedStatusView; source?: ViewSource; path: string; witness?: ObservationWitness };

/** The record a running worker's view carries (null when its text no longer parses). */
const recordOfView = (view: CachedStatusView): JsonObject | null => {
  if (view.record === undefined) return null;
  try {
    return parseCheckedRecordText(view.record.text, view.record.floatLiteral);
  } catch {
    return null;
  }
};

/**
 * Reads, refreshes and derives the delegations in `paths` (in order). With `deferWrites` (refresh
 * `write` only), a changed record is shown as refreshed and handed back in `deferred` instead of
 * being written here (see refresh-writes.ts). With a `recordCache`, unchanged files come from it;
 * with JSON encoding, the item of a worker whose child is not running is filed there as a view
 * (see status-view-cache.ts) and taken from it while its file is unchanged. `pass`: the
 * observation pass the slice belongs to (what it remembers of processes and folders is shared by
 * every slice of one status); default: one of its own.
 */
export const processStatusSlice = <K extends StatusEncoding>(
  ctx: RunContext,
  job: StatusJob,
  paths: readonly string[],
  encoding: K,
  opts: { deferWrites?: boolean; recordCache?: RecordCache | undefined; pass?: ObservationPass } = {},
): StatusSlice<Encoded<K>> => {
  const pass = opts.pass ?? startObservationPass({ witnesses: opts.recordCache !== undefined });
  const defer = opts.deferWrites === true && job.refresh === 'write';
  const shown = job.taskCardIds;
  const scratch = createReadScratch();
  const readErrors: RecordError[] = [];
  const refreshErrors: RecordError[] = [];
  const deferred: DeferredWrite[] = [];
  const cache = opts.recordCache;
  const pending: PendingItem[] = [];
  for (const path of paths) {
    let read = cache === undefined ? readRecordFile(path, scratch) : cache.read(path, scratch);
    let runningView: CachedStatusView | undefined;
    let source: ViewSource | undefined;
    if (read !== null && 'view' in read) {
      const view = decodeStatusView(read.view, { witnesses: job.refresh !== 'none' });
      source = cache === undefined ? undefined : { cache, at: read.at };
      // A view alone: nothing to observe (not running, nothing observed at all, a card not shown),
      // or observing would change nothing (its witness holds: the record is not even parsed).
      if (view !== null && (view.record === undefined || job.refresh === 'none' || (shown !== null && !shown.has(view.cardId)))) {
        pending.push({ view, source, path });
        continue;
      }
      if (view?.witness !== undefined && witnessHolds(ctx.runDir, view.witness, pass)) {
        pending.push({ view, source, path, witness: view.witness });
        continue;
      }
      // A running worker's view: its record is observed first (below), the view used if nothing changed.
      const record = view === null ? null : recordOfView(view);
      if (record !== null) {
        read = { record };
        runningView = view ?? undefined;
      } else read = readRecordFile(path, scratch);
    }
    if (read === null) continue;
    if ('error' in read) {
      readErrors.push({ path: read.error.path, reason: read.error.reason });
      continue;
    }
    const cardId = asString(getKey(read.record, 'task_card_id'));
    if (shown !== null && (cardId === undefined || !shown.has(cardId))) {
      pending.push({ record: read.record, cardId: null, path, asRead: read.record });
      continue;
    }
    let record = read.record;
    let witness: ObservationWitness | undefined;
    if (job.refresh !== 'none') {
      try {
        if (defer) {
          const observed = observeDelegation(ctx, path, read.record, pass);
          if (observed.change !== 'none') {
            const write = { path, fingerprint: JSON.stringify(read.record), record: observed.record };
            deferred.push({ index: pending.length, original: read.record, cardId: cardId ?? null, write });
          }
          record = observed.record;
          witness = observed.witness;
        } else {
          const observed = refreshDelegationSync(ctx, path, read.record, { write: job.refresh === 'write', pass });
          record = observed.record;
          witness = observed.witness;
        }
      } catch (error) {
        refreshErrors.push({ path, reason: describeError(error) });
      }
    }
    // The running worker's view stands for the record only while observing it changed nothing.
    pending.push({
      record,
      cardId: cardId ?? null,
      path,
      asRead: read.record,
      ...(runningView !== undefined && record === read.record ? { view: runningView, source } : {}),
      ...(witness !== undefined && record === read.record ? { witness } : {}),
    });
  }
  // Derived after the whole slice is refreshed, at one instant.
  const derivedAt = ctx.now();
  const items = pending.map((p, i) => {
    const fromView = p.view === undefined ? null : cachedStatusItem(p.view, p.source, shown, derivedAt, encoding);
    if (fromView !== null) return fromView;
    if ('record' in p) return statusItem(p.record, p.cardId, ctx.config, derivedAt, encoding);
    // A view alone that has run out: its record, as persisted (read again if its text no longer
    // parses). Derived from the view's record, it is filed anew below like any record.
    const fromText = recordOfView(p.view);
    let record = fromText;
    if (record === null) {
      const again = readRecordFile(p.path, scratch);
      if (again === null || 'error' in again) {
        if (again !== null) readErrors.push({ path: again.error.path, reason: again.error.reason });
        return { cardId: null, worker: null, target: null, usage: null };
      }
      record = again.record;
    }
    const found = asString(getKey(record, 'task_card_id'));
    const cardId = shown !== null && (found === undefined || !shown.has(found)) ? null : (found ?? null);
    if (fromText !== null) pending[i] = { record, cardId, path: p.path, asRead: record, view: p.view, ...(p.source === undefined ? {} : { source: p.source }), ...(p.witness === undefined ? {} : { witness: p.witness }) };
    return statusItem(record, cardId, ctx.config, derivedAt, encoding);
  });
  if (cache !== undefined && encoding === 'json') fileAgeOnlyViews(ctx.config, pending, items as StatusItem<JsonText>[], derivedAt, cache);
  cache?.endSlice();
  return { items, readErrors, refreshErrors, deferred, derivedAt };
};

/**
 * Files the items of this slice's shown records that refreshing left unchanged as views in the
 * cache (it keeps those of its misses and texts): a worker that is not running for good, a running
 * one (with its record's text, to observe it by, and the witness of that observation) until its
 * next threshold; a worker that needs reclaim with its reclaim target. A running worker whose view
 * ran out gets a new one; a record whose template does not check out is marked as having none.
 */
const fileAgeOnlyViews = (config: RuntimeConfig, pending: readonly PendingItem[], items: readonly StatusItem<JsonText>[], derivedAt: number, cache: RecordCache): void => {
  pending.forEach((p, i) => {
    const item = items[i];
    if (!('record' in p) || item === undefined || item.worker === null || item.cardId === null || p.record !== p.asRead) return;
    // A view that still holds stays as it is (unless it gains a witness: then the record need not be parsed next time).
    if (p.view !== undefined && viewHoldsAt(p.view, derivedAt) && (p.view.witness !== undefined || p.witness === undefined)) return;
    if (!cache.wantsView(p.path)) return;
    const running = !hasAgeOnlyEntry(p.record);
    const recordText = running ? (p.view?.record ?? cache.recordText(p.path)) : undefined;
    const template = !running || recordText !== undefined ? buildViewTemplate(p.record, config, derivedAt, item.worker.entry.toString(), item.worker.facts, item.target === null ? null : item.target.toString()) : null;
    if (template === null) cache.declineView(p.path, p.view?.record);
    else {
      const withRecord = running && recordText !== undefined ? { record: recordText, ...(p.witness === undefined ? {} : { witness: p.witness }) } : {};
      cache.offerView(p.path, encodeStatusView({ cardId: item.cardId, usage: item.usage, template, ...withRecord }));
    }
  });
};

/**
 * Settles a slice's deferred writes from their outcomes: a record that changed on disk since it was
 * observed, or whose write failed, is refreshed again here under its lock (as the inline path
 * does) and its item derived again. Returns how many were.
 */
export const settleDeferredWrites = <K extends StatusEncoding>(
  ctx: RunContext,
  slice: StatusSlice<Encoded<K>>,
  outcomes: readonly ({ outcome: string } | undefined)[],
  encoding: K,
): number => {
  let redone = 0;
  slice.deferred.forEach((deferred, i) => {
    const outcome = outcomes[i]?.outcome;
    if (outcome === 'written' || outcome === 'busy') return;
    redone += 1;
    let record = deferred.original;
    try {
      record = refreshDelegationSync(ctx, deferred.write.path, deferred.original, { write: true }).record;
    } catch (error) {
      slice.refreshErrors.push({ path: deferred.write.path, reason: describeError(error) });
    }
    slice.items[deferred.index] = statusItem(record, deferred.cardId, ctx.config, slice.derivedAt, encoding);
  });
  slice.deferred = [];
  return redone;
};
