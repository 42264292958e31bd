/**
 * The I/O edge of `captain top`: reads a run's delegation records as persisted (nothing refreshed,
 * nothing written) and each worker's last event line, and builds the view-model at `ctx.now()`.
 */
import { statSync } from 'node:fs';
import { resolveRawEventsFile } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { findDelegation, readWorkerEvents } from '../ops/worker.js';
import type { RunContext } from '../ops/context.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { buildTopModel, type TopModel } from './view-model.js';
import { worktreeDiskUsage, type WorktreeDiskUsage } from '../worktree/disk.js';
import { TOP_DISK_USAGE_EVERY_MS } from '../config/defaults.js';

/** The last disk-usage walk of each run's worktrees (a walk of checked-out trees is too slow for every redraw). */
const diskCache = new Map<string, { atMs: number; usage: WorktreeDiskUsage }>();

const cachedDiskUsage = (runDir: string, nowMs: number): WorktreeDiskUsage | null => {
  const hit = diskCache.get(runDir);
  if (hit !== undefined && nowMs - hit.atMs < TOP_DISK_USAGE_EVERY_MS) return hit.usage;
  try {
    const usage = worktreeDiskUsage(runDir);
    diskCache.set(runDir, { atMs: nowMs, usage });
    return usage;
  } catch {
    return null;
  }
};

/** Bytes read from the end of a raw events file to find the last event line. */
const LAST_EVENT_TAIL_BYTES = 16 * 1024;

/** Size of a worker's raw events file, or null when it has none yet (or its path is not allowed). */
const rawEventsSize = (ctx: RunContext, record: JsonObject, recordPath: string): number | null => {
  try {
    return statSync(resolveRawEventsFile(ctx.runDir, record, { allowOutside: ctx.allowOutsidePaths, recordPath })).size;
  } catch {
    return null;
  }
};

/**
 * The rendered lines of the last `bytes` of a worker's log (the detail pane), never more: a long
 * log is not re-read whole on every redraw. The first event of a cut tail may be partial.
 */
export const readLogTail = (ctx: RunContext, delegationId: string, bytes: number): string[] => {
  const { path, record } = findDelegation(ctx, delegationId);
  const size = rawEventsSize(ctx, record, path);
  if (size === null) return [];
  const start = Math.max(size - bytes, 0);
  const page = readWorkerEvents(ctx, delegationId, start, { limit: 100_000, maxBytes: bytes });
  const lines = page.events.flatMap((event) => event.text.split('\n'));
  return start > 0 ? ['…', ...lines] : lines;
};

/** A worker's last rendered event line (from the tail of its raw events file), or null. */
export const lastEventLine = (ctx: RunContext, delegationId: string, size: number | null): string | null => {
  try {
    const start = size === null ? 0 : Math.max(size - LAST_EVENT_TAIL_BYTES, 0);
    const page = readWorkerEvents(ctx, delegationId, start, { limit: 10_000, maxBytes: LAST_EVENT_TAIL_BYTES });
    const last = page.events[page.events.length - 1];
    return last === undefined ? null : last.text.replace(/\s+/g, ' ').trim();
  } catch {
    return null;
  }
};

export interface RunView extends TopModel {
  run_dir: string;
  run_id: string;
  /** Disk used by the run's worktrees (refreshed every TOP_DISK_USAGE_EVERY_MS); null when unknown. */
  worktrees: WorktreeDiskUsage | null;
  errors: Array<{ path: string; reason: string }>;
}

/** The run's view-model now. */
export const loadRunView = (ctx: RunContext): RunView => {
  const loaded = loadDelegations(ctx.runDir);
  const lastEvents = new Map<string, string>();
  for (const entry of loaded.records) {
    const id = asString(getKey(entry.record, 'delegation_id'));
    if (id === undefined) continue;
    const line = lastEventLine(ctx, id, rawEventsSize(ctx, entry.record, entry.path));
    if (line !== null) lastEvents.set(id, line);
  }
  const model = buildTopModel({ records: loaded.records.map((r) => r.record), config: ctx.config, nowMs: ctx.now(), lastEvents });
  return {
    ...model,
    run_dir: ctx.runDir,
    run_id: asString(getKey(ctx.run, 'run_id')) ?? '',
    worktrees: cachedDiskUsage(ctx.runDir, ctx.now()),
    errors: loaded.errors.map((e) => ({ path: e.path, reason: e.reason })),
  };
};
