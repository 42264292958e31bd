/**
 * One worker at a time: find it, cancel it, read its parsed result, page through its events.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { CaptainError } from '../errors.js';
import { createStreamFolder } from '../events/stream-folder.js';
import { renderEventLine } from '../events/render.js';
import type { WorkerEvent } from '../events/types.js';
import { childStatusOf, deriveWorkerLifecycleView } from '../lifecycle/derive.js';
import { applyCancel } from '../lifecycle/mutations.js';
import { isTerminalChildStatus, type ChildStatusText } from '../lifecycle/states.js';
import type { WorkerKind } from '../lifecycle/kinds.js';
import { terminateWorker } from '../process/terminate.js';
import { readJsonObjectSync, writeJsonAtomicSync } from '../store/json-file.js';
import { delegationPath, resolveRawEventsFile } from '../store/paths.js';
import { listDelegationFiles } from '../store/records.js';
import { withRecordLock } from '../store/lock.js';
import { asString, getKey, isJsonObject, orNull, type Json, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import type { RunContext } from './context.js';
import { workerProcessRef } from './liveness.js';
import { workerKindOf } from './worker-kind.js';
import { costOf } from './usage.js';
import { worktreeOf } from '../worktree/record.js';
import { collectWorktree } from '../worktree/collect.js';

/** The delegation's file and record; an unknown id is an error that lists the known ones. */
export const findDelegation = (ctx: RunContext, delegationId: string): { path: string; record: JsonObject } => {
  const path = delegationPath(ctx.runDir, delegationId);
  try {
    return { path, record: readJsonObjectSync(path) };
  } catch (error) {
    if (error instanceof CaptainError && error.code === 'NOT_FOUND') {
      const known = listDelegationFiles(ctx.runDir).map((p) => basename(p, '.json'));
      const shown = known.slice(-20).join(', ');
      throw new CaptainError(
        'NOT_FOUND',
        `no delegation ${delegationId} in ${ctx.runDir}; known: ${known.length === 0 ? '(none)' : `${shown}${known.length > 20 ? ` (and ${known.length - 20} more)` : ''}`}`,
        { data: { known } },
      );
    }
    throw error;
  }
};

export interface CancelResult extends JsonObject {
  delegation_id: string;
  cancelled: boolean;
  termination: string | null;
  status: ChildStatusText;
  survivors: number[];
}

const withCancelIntent = (record: JsonObject, at: string, reason: string): JsonObject => {
  const lifecycle = getKey(record, 'worker_lifecycle');
  return { ...record, worker_lifecycle: { ...(isJsonObject(lifecycle) ? lifecycle : {}), cancel_requested_at: at, cancel_reason: reason } };
};

/** Stops a worker on purpose: group kill (identity-checked) and the `cancelled` state. */
export const cancelDelegation = async (ctx: RunContext, delegationId: string, reason = 'cancelled by the captain'): Promise<CancelResult> => {
  const { path } = findDelegation(ctx, delegationId);
  const result = await withRecordLock(path, async (): Promise<CancelResult> => {
    const current = readJsonObjectSync(path);
    const status = childStatusOf(current);
    if (isTerminalChildStatus(status)) return { delegation_id: delegationId, cancelled: false, termination: null, status, survivors: [] };
    const ref = workerProcessRef(current);
    // The intent is durable before any signal: if the final write below fails (a full disk), the
    // record still says a cancel was asked for, so the worker's end is never retried. If even this
    // write fails, nothing is signalled and the error says so.
    const requestedAt = formatRfc3339(ctx.now());
    const intent = withCancelIntent(current, requestedAt, reason);
    writeJsonAtomicSync(path, intent);
    const outcome =
      ref.pid === null
        ? { termination: 'already_exited' as const, survivors: [] as number[] }
        : await terminateWorker(ref, ctx.config.worker_kill_grace_ms);
    const at = formatRfc3339(ctx.now());
    writeJsonAtomicSync(path, applyCancel(intent, { cancelledAt: at, termination: outcome.termination, reason }));
    return { delegation_id: delegationId, cancelled: true, termination: outcome.termination, status: 'cancelled', survivors: outcome.survivors };
  });
  // A worker with a worktree: what it changed before it was stopped is collected at once.
  if (result.cancelled) await collectWorktree(ctx, path).catch(() => undefined);
  return result;
};

export interface WorkerResultView extends JsonObject {
  delegation_id: string;
  kind: WorkerKind;
  status: ChildStatusText;
  state: Json;
  summary: Json;
  final_message: Json;
  thread_id: Json;
  session_id: Json;
  usage: Json;
  /** The CLI's reported cost, else the tokens priced from the price table; null when unknown. */
  cost_usd: Json;
  /** Where `cost_usd` comes from: `reported`, `priced`, `unknown` (tokens, no price: `cost_unknown_models` says why), or null without tokens. */
  cost_source: Json;
  cost_unknown_models: Json;
  failure_reason: Json;
  latest_failure: Json;
  exit: Json;
  completed_at: Json;
  fan_in_collapsed_at: Json;
  // With a worktree, also `worktree` (branch, commits, patch file, stamps) and `diffstat` (null until collected).
}

const costView = (record: JsonObject): Pick<WorkerResultView, 'cost_usd' | 'cost_source' | 'cost_unknown_models'> => {
  const result = getKey(record, 'worker_result');
  const usage = getKey(result, 'total_token_usage');
  const reported = orNull(getKey(result, 'cost_usd'));
  if (!isJsonObject(usage)) return { cost_usd: reported, cost_source: reported === null ? null : 'reported', cost_unknown_models: null };
  const reading = costOf(record, usage);
  return reading.source === 'unknown'
    ? { cost_usd: null, cost_source: 'unknown', cost_unknown_models: reading.models }
    : { cost_usd: reading.usd, cost_source: reading.source, cost_unknown_models: null };
};

/** One delegation's parsed result (what a captain reads after fan-in). */
export const getWorkerResult = (ctx: RunContext, delegationId: string): WorkerResultView => {
  const { record } = findDelegation(ctx, delegationId);
  const result = getKey(record, 'worker_result');
  const view = deriveWorkerLifecycleView(record, ctx.config, ctx.now());
  return {
    delegation_id: delegationId,
    kind: workerKindOf(record),
    status: childStatusOf(record),
    state: view?.state ?? null,
    summary: orNull(getKey(record, 'result_summary')),
    final_message: orNull(getKey(result, 'final_message') ?? getKey(result, 'assistant_message_preview')),
    thread_id: orNull(getKey(result, 'thread_id')),
    session_id: orNull(getKey(result, 'session_id')),
    usage: orNull(getKey(result, 'total_token_usage')),
    ...costView(record),
    failure_reason: orNull(getKey(result, 'failure_reason') ?? getKey(getKey(record, 'latest_failure'), 'reason')),
    latest_failure: orNull(getKey(record, 'latest_failure')),
    exit: orNull(getKey(result, 'process_exit')),
    completed_at: orNull(getKey(record, 'completed_at')),
    fan_in_collapsed_at: orNull(getKey(record, 'fan_in_collapsed_at')),
    ...worktreeView(record),
  };
};

const worktreeView = (record: JsonObject): { worktree?: Json; diffstat?: Json } => {
  const info = worktreeOf(record);
  if (info === undefined) return {};
  const { per_file: perFile, ...totals } = info.diffstat ?? { per_file: [] };
  return {
    worktree: { path: info.path, branch: info.branch, base_commit: info.base_commit, head_commit: info.head_commit ?? null, patch_file: info.patch_file ?? null, collected_at: info.collected_at ?? null, applied_at: info.applied_at ?? null, removed_at: info.removed_at ?? null },
    diffstat: info.diffstat === undefined ? null : { ...totals, per_file: perFile.map((f) => ({ ...f })) },
  };
};

export interface WorkerEventPage extends JsonObject {
  delegation_id: string;
  events: Array<{ cursor: number; type: string; text: string }>;
  next_cursor: number;
  /** True when the raw file has bytes after next_cursor that were not returned (limits). */
  more: boolean;
}

/**
 * A worker's events after `cursor` (a byte offset into its raw events file), at most `limit`
 * events and `maxBytes` bytes read, each rendered as one human-readable line.
 */
export const readWorkerEvents = (
  ctx: RunContext,
  delegationId: string,
  cursor = 0,
  opts: { limit?: number; maxBytes?: number } = {},
): WorkerEventPage => {
  const { path, record } = findDelegation(ctx, delegationId);
  const raw = resolveRawEventsFile(ctx.runDir, record, { allowOutside: ctx.allowOutsidePaths, recordPath: path });
  const limit = opts.limit ?? 200;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  let fd: number;
  try {
    fd = openSync(raw, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { delegation_id: delegationId, events: [], next_cursor: cursor, more: false };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.min(Math.max(cursor, 0), size);
    const buffer = Buffer.alloc(Math.min(size - start, maxBytes));
    const read = readSync(fd, buffer, 0, buffer.length, start);
    const kind = workerKindOf(record);
    const folder = createStreamFolder(kind);
    const events: WorkerEventPage['events'] = [];
    let offset = 0;
    while (events.length < limit) {
      const newline = buffer.indexOf(10, offset);
      if (newline < 0 || newline >= read) break;
      const parsed: WorkerEvent[] = folder.push(buffer.subarray(offset, newline + 1));
      offset = newline + 1;
      for (const event of parsed) {
        const text = renderEventLine(kind, event);
        if (text !== null) events.push({ cursor: start + offset, type: event.type, text });
      }
    }
    return { delegation_id: delegationId, events, next_cursor: start + offset, more: start + offset < size };
  } finally {
    closeSync(fd);
  }
};

/** The delegation's task card id (for messages). */
export const taskCardOf = (record: JsonObject): string | null => asString(getKey(record, 'task_card_id')) ?? null;
