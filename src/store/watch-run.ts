/**
 * The one way captain watches a run directory for changes: `watchRun(runDir, opts)` gives an async
 * iterable of coalesced run changes — events appended to `events.jsonl` after a cursor (each with
 * the cursor just after it, so a consumer that stops anywhere resumes without a miss or a repeat),
 * delegation records rewritten, raw-events files written, wrapper exit records appearing, and
 * followed files growing.
 *
 * Built on fs.watch (the run folder, `delegations/`, `raw-events/`, followed files) plus a safety
 * poll, because fs.watch misses events on some filesystems and cannot watch a folder made after
 * the watch began. The poll compares cheap stats only (the log's size, the two folders' mtimes, a
 * followed file's size and mtime); it does not see a raw events file grow or a record rewritten in
 * place (not by rename): those come from fs.watch alone.
 *
 * Watching starts when `watchRun` is called, not at the first `next()`: look at the run after
 * calling it and nothing that changes in between is missed.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { WATCH_COALESCE_MS, WATCH_MAX_EVENTS_PER_BATCH, WATCH_SAFETY_POLL_MS } from '../config/defaults.js';
import { readRunEvents, type RunEvent } from './events-log.js';
import { runLayout } from './paths.js';

/** A run event read from `events.jsonl`, with the cursor (byte offset) just after its line. */
export type CursorEvent = RunEvent & { cursor: number };

/** One change seen in a run directory. */
export type RunChange =
  /** An event appended to `events.jsonl` (any event: transitions, retries, fan-ins, …); `cursor` resumes after it. */
  | { kind: 'transition'; event: CursorEvent; cursor: number }
  /** Delegation records written (by id, from `delegations/<id>.json`); no `ids`: some, unknown which (look at all). */
  | { kind: 'records'; ids?: string[] }
  /** Files in `raw-events/` written or created (their names); no `files`: some, unknown which. */
  | { kind: 'raw-events'; files?: string[] }
  /** Wrapper exit records (`raw-events/<id>.<generation>.exit.json`) written: a worker ended. */
  | { kind: 'exit'; ids: string[]; files: string[] }
  /** One of `opts.files` changed. */
  | { kind: 'file'; path: string };

export interface WatchRunOptions {
  /**
   * Deliver the events of `events.jsonl` after this byte offset (`0`: from the start; `'end'`: only
   * events appended from now on). Omitted: the event log is not followed.
   */
  cursor?: number | 'end';
  /** Watch `delegations/`. @default true */
  records?: boolean;
  /** Watch `raw-events/` (growth and exit records). @default true */
  rawEvents?: boolean;
  /** More files to follow (e.g. a raw events file a record names outside `raw-events/`). */
  files?: readonly string[];
  /** Ends the watch: a pending `batch()` resolves with `[]`, iteration ends. */
  signal?: AbortSignal;
  /** @default WATCH_SAFETY_POLL_MS */
  pollMs?: number;
  /** @default WATCH_COALESCE_MS */
  coalesceMs?: number;
  /** Use fs.watch (false: the safety poll alone, e.g. on a filesystem without inotify). @default true */
  fsWatch?: boolean;
  /** @default WATCH_MAX_EVENTS_PER_BATCH */
  maxEvents?: number;
}

export interface RunWatch extends AsyncIterable<RunChange> {
  /**
   * The next coalesced batch of changes (never empty while the watch is open); `[]` when
   * `timeoutMs` passes first or the watch is closed. One caller at a time.
   * @throws CaptainError IO when `events.jsonl` cannot be read (e.g. it is not a regular file).
   */
  batch(timeoutMs?: number): Promise<RunChange[]>;
  /** The event-log cursor after the last delivered event (or `undefined` when the log is not followed). */
  readonly cursor: number | undefined;
  readonly closed: boolean;
  /** Stops watching (idempotent). */
  close(): void;
}

const isRecordFile = (name: string): boolean => name.endsWith('.json') && name !== '.json' && !name.endsWith('.result.json');
const EXIT_RECORD = /^(.+)\.[^.]+\.exit\.json$/;

interface Pending {
  events: boolean;
  records: Set<string> | 'all' | null;
  raw: Set<string> | 'all' | null;
  exits: Set<string>;
  files: Set<string>;
}

const emptyPending = (): Pending => ({ events: false, records: null, raw: null, exits: new Set(), files: new Set() });

const addName = (current: Set<string> | 'all' | null, name: string | null): Set<string> | 'all' => {
  if (current === 'all' || name === null) return 'all';
  return (current ?? new Set<string>()).add(name);
};

/** A stat signature that changes when the entry changes (null: missing). */
const signature = (path: string, withSize: boolean): string | null => {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.mtimeMs}:${s.ctimeMs}${withSize ? `:${s.size}` : ''}`;
  } catch {
    return null;
  }
};

const sizeOf = (path: string): number | null => {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
};

/** Watches the run directory `runDir` (see the module comment). Close it (or abort `signal`, or leave a `for await`) when done. */
export const watchRun = (runDir: string, opts: WatchRunOptions = {}): RunWatch => {
  const layout = runLayout(runDir);
  const records = opts.records ?? true;
  const rawEvents = opts.rawEvents ?? true;
  const files = [...(opts.files ?? [])];
  const coalesceMs = opts.coalesceMs ?? WATCH_COALESCE_MS;
  const maxEvents = opts.maxEvents ?? WATCH_MAX_EVENTS_PER_BATCH;
  const useFsWatch = opts.fsWatch ?? true;
  let cursor: number | undefined =
    opts.cursor === undefined ? undefined : opts.cursor === 'end' ? (sizeOf(layout.eventsJsonl) ?? 0) : Math.max(0, opts.cursor);

  let pending = emptyPending();
  // A cursor given: events already in the log after it are due at once.
  if (cursor !== undefined) pending.events = true;
  let closed = false;
  let waiter: { resolve: (changes: RunChange[]) => void; reject: (error: unknown) => void; timer?: NodeJS.Timeout } | undefined;
  let coalesce: NodeJS.Timeout | undefined;

  const hasPending = (): boolean =>
    pending.events || pending.records !== null || pending.raw !== null || pending.exits.size > 0 || pending.files.size > 0;

  /** Turns what is pending into changes (reading the event log); an event page cut at `maxEvents` leaves the rest pending. */
  const drain = (): RunChange[] => {
    // The read first: if it throws, nothing pending is lost.
    const page = pending.events && cursor !== undefined ? readRunEvents(runDir, cursor, { limit: maxEvents }) : undefined;
    const taken = pending;
    pending = emptyPending();
    const changes: RunChange[] = [];
    if (page !== undefined) {
      for (const event of page.events) changes.push({ kind: 'transition', event, cursor: event.cursor });
      cursor = page.next_cursor;
      // Cut at maxEvents or the page's byte budget: the rest is due in the next batch.
      if (page.events.length > 0 && (page.events.length >= maxEvents || (sizeOf(layout.eventsJsonl) ?? 0) > cursor)) pending.events = true;
    }
    if (taken.records !== null) changes.push(taken.records === 'all' ? { kind: 'records' } : { kind: 'records', ids: [...taken.records].sort() });
    if (taken.exits.size > 0) {
      const names = [...taken.exits].sort();
      changes.push({ kind: 'exit', ids: [...new Set(names.map((n) => EXIT_RECORD.exec(n)![1]!))], files: names });
    }
    if (taken.raw !== null) changes.push(taken.raw === 'all' ? { kind: 'raw-events' } : { kind: 'raw-events', files: [...taken.raw].sort() });
    for (const path of taken.files) changes.push({ kind: 'file', path });
    return changes;
  };

  const settle = (changes: RunChange[]): void => {
    const w = waiter;
    if (w === undefined) return;
    waiter = undefined;
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.resolve(changes);
  };

  /** Hands what is pending to the waiting `batch()`, if any; a drain with nothing new (a half-written event line) keeps it waiting. */
  const deliver = (): void => {
    coalesce = undefined;
    if (waiter === undefined || closed || !hasPending()) return;
    let changes: RunChange[];
    try {
      changes = drain();
    } catch (error) {
      const w = waiter;
      waiter = undefined;
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.reject(error);
      return;
    }
    if (changes.length > 0) settle(changes);
    else if (hasPending()) coalesce = setTimeout(deliver, coalesceMs);
  };

  const changed = (): void => {
    if (closed || waiter === undefined || coalesce !== undefined) return;
    coalesce = setTimeout(deliver, coalesceMs);
  };

  // --- fs.watch -------------------------------------------------------------------------------
  const watchers = new Map<string, FSWatcher>();
  const onRunDir = (name: string | null): void => {
    if (cursor === undefined) return;
    if (name !== null && name !== 'events.jsonl') return;
    pending.events = true;
    changed();
  };
  const onDelegations = (name: string | null): void => {
    if (name !== null && !isRecordFile(name)) return; // locks, temp files, result sidecars
    pending.records = addName(pending.records, name === null ? null : name.slice(0, -'.json'.length));
    changed();
  };
  const onRawEvents = (name: string | null): void => {
    if (name !== null && EXIT_RECORD.test(name)) pending.exits.add(name);
    else pending.raw = addName(pending.raw, name);
    changed();
  };
  const targets: Array<[string, (name: string | null) => void]> = [];
  if (cursor !== undefined) targets.push([runDir, onRunDir]);
  if (records) targets.push([layout.delegationsDir, onDelegations]);
  if (rawEvents) targets.push([layout.rawEventsDir, onRawEvents]);
  for (const path of files) {
    targets.push([
      path,
      () => {
        pending.files.add(path);
        changed();
      },
    ]);
  }
  /** Starts the watchers that are not running (a folder made after the watch began, a watcher that failed). */
  const ensureWatchers = (): void => {
    if (!useFsWatch || closed) return;
    for (const [path, on] of targets) {
      if (watchers.has(path)) continue;
      try {
        const watcher = watch(path, { persistent: true }, (_event, name) => on(typeof name === 'string' ? name : null));
        watcher.on('error', () => {
          watcher.close();
          if (watchers.get(path) === watcher) watchers.delete(path);
        });
        watchers.set(path, watcher);
      } catch {
        // missing for now: the poll tries again
      }
    }
  };
  ensureWatchers();

  // --- safety poll ----------------------------------------------------------------------------
  const polled = new Map<string, string | null>();
  const pollTargets: Array<[string, boolean, () => void]> = [];
  if (cursor !== undefined) pollTargets.push([layout.eventsJsonl, true, () => (pending.events = true)]);
  if (records) pollTargets.push([layout.delegationsDir, false, () => (pending.records = 'all')]);
  if (rawEvents) pollTargets.push([layout.rawEventsDir, false, () => (pending.raw = 'all')]);
  for (const path of files) pollTargets.push([path, true, () => pending.files.add(path)]);
  for (const [path, withSize] of pollTargets) polled.set(path, signature(path, withSize));
  const poll = setInterval(() => {
    ensureWatchers();
    let any = false;
    for (const [path, withSize, mark] of pollTargets) {
      const now = signature(path, withSize);
      if (now === polled.get(path)) continue;
      polled.set(path, now);
      mark();
      any = true;
    }
    if (any) changed();
  }, opts.pollMs ?? WATCH_SAFETY_POLL_MS);

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(poll);
    if (coalesce !== undefined) clearTimeout(coalesce);
    for (const w of watchers.values()) w.close();
    watchers.clear();
    opts.signal?.removeEventListener('abort', close);
    settle([]);
  };
  if (opts.signal?.aborted) close();
  else opts.signal?.addEventListener('abort', close, { once: true });

  const batch = (timeoutMs?: number): Promise<RunChange[]> => {
    if (closed) return Promise.resolve([]);
    if (waiter !== undefined) return Promise.reject(new Error('watchRun: batch() called while another batch() waits'));
    if (hasPending()) {
      try {
        const changes = drain();
        if (changes.length > 0) return Promise.resolve(changes);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise<RunChange[]>((resolve, reject) => {
      waiter = { resolve, reject };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) waiter.timer = setTimeout(() => settle([]), Math.max(0, timeoutMs));
      if (hasPending()) changed();
    });
  };

  return {
    batch,
    get cursor() {
      return cursor;
    },
    get closed() {
      return closed;
    },
    close,
    async *[Symbol.asyncIterator]() {
      try {
        while (!closed) {
          for (const change of await batch()) yield change;
        }
      } finally {
        close();
      }
    },
  };
};
