/**
 * Why a worker ended without a usable result, in one line for people (status table, `wait`):
 * its `worker_result.failure_reason` (or `latest_failure.reason`) and `latest_failure.summary`.
 */
import { FAILURE_REASONS_MAX_READS } from '../config/defaults.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { delegationPath } from '../store/paths.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import type { RunContext } from './context.js';


/** "execution_failed: exit 1 …", "cancelled: by user"; null for a worker that did not fail. */
export const failureReasonOf = (record: JsonObject): string | null => {
  const status = childStatusOf(record);
  const latest = getKey(record, 'latest_failure');
  if (status === 'cancelled') {
    const why = asString(getKey(record, 'cancel_reason'));
    return why === undefined || why.trim() === '' ? 'cancelled' : `cancelled: ${why}`;
  }
  const reason = asString(getKey(getKey(record, 'worker_result'), 'failure_reason')) ?? asString(getKey(latest, 'reason'));
  const summary = asString(getKey(latest, 'summary')) ?? asString(getKey(record, 'result_summary'));
  if (reason === undefined && summary === undefined) return status === 'failed' ? 'failed (no reason recorded)' : null;
  if (reason === undefined) return summary ?? null;
  return summary === undefined || summary.trim() === '' ? reason : `${reason}: ${summary}`;
};

/**
 * The short form for a table cell: "execution_failed (exit 1)", "timed out, reclaimed",
 * "cancelled: by user", "spawn_failed: ENOENT …"; null for a worker that did not fail.
 */
export const failureNoteOf = (record: JsonObject): string | null => {
  const status = childStatusOf(record);
  if (status === 'cancelled') return failureReasonOf(record);
  const lifecycle = getKey(record, 'worker_lifecycle');
  // A queued worker whose launch is held (run budget reached, memory under the floor) says why.
  if (status === 'queued') return asString(getKey(lifecycle, 'hold_reason')) ?? null;
  if (asString(getKey(lifecycle, 'reclaim_state')) === 'reclaimed') {
    return `${asString(getKey(lifecycle, 'state')) === 'stale' ? 'stale' : 'timed out'}, reclaimed`;
  }
  if (status !== 'failed') return null;
  const result = getKey(record, 'worker_result');
  const reason = asString(getKey(result, 'failure_reason')) ?? asString(getKey(getKey(record, 'latest_failure'), 'reason')) ?? 'failed';
  const exit = getKey(result, 'process_exit');
  const code = getKey(exit, 'exit_code');
  const signal = asString(getKey(exit, 'signal'));
  const how = signal !== undefined ? ` (${signal})` : typeof code === 'number' && code !== 0 ? ` (exit ${code})` : '';
  const message = asString(getKey(result, 'error_message')) ?? asString(getKey(getKey(result, 'spawn_error'), 'message'));
  return `${reason}${how}${message === undefined || message.trim() === '' ? '' : `: ${message}`}`;
};

/**
 * The failure reasons (short form, {@link failureNoteOf}) of the given delegations, read from their records (the first
 * FAILURE_REASONS_MAX_READS); a record that cannot be read is left out.
 */
export const readFailureReasons = (ctx: RunContext, delegationIds: readonly string[]): Map<string, string> => {
  const reasons = new Map<string, string>();
  for (const id of delegationIds.slice(0, FAILURE_REASONS_MAX_READS)) {
    try {
      const reason = failureNoteOf(readJsonObjectSync(delegationPath(ctx.runDir, id)));
      if (reason !== null) reasons.set(id, reason);
    } catch {
      // unreadable or an unsafe id: status reports the record itself
    }
  }
  return reasons;
};
