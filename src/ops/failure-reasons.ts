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
 * The failure reasons of the given delegations, read from their records (the first
 * FAILURE_REASONS_MAX_READS); a record that cannot be read is left out.
 */
export const readFailureReasons = (ctx: RunContext, delegationIds: readonly string[]): Map<string, string> => {
  const reasons = new Map<string, string>();
  for (const id of delegationIds.slice(0, FAILURE_REASONS_MAX_READS)) {
    try {
      const reason = failureReasonOf(readJsonObjectSync(delegationPath(ctx.runDir, id)));
      if (reason !== null) reasons.set(id, reason);
    } catch {
      // unreadable or an unsafe id: status reports the record itself
    }
  }
  return reasons;
};
