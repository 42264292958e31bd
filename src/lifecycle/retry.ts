/**
 * Whether the supervisor may launch a delegation again. Pure: the record and the limit in, a
 * decision out. Only failures whose cause is known and may pass are retried; a failure nobody can
 * vouch for is never turned into a second run of the same task.
 */
import { getKey, isJsonObject, asInteger, asString, type JsonObject } from '../util/json.js';
import { childStatusOf } from './derive.js';

/**
 * Failure reasons that are never retried:
 * - `exit_status_unknown`: the worker ended while its monitor was dead; it may well have succeeded.
 * - `spawn_failed`: the binary or cwd is missing or unusable; the same launch fails the same way.
 * - `cancelled`: somebody stopped it on purpose.
 */
export const NOT_RETRIED_FAILURE_REASONS: readonly string[] = ['exit_status_unknown', 'spawn_failed', 'cancelled'];

/** The attempt number of a delegation (`worker_request.attempt`, 1 for a first launch). */
export const attemptOf = (record: JsonObject): number => {
  const request = getKey(record, 'worker_request');
  return (isJsonObject(request) ? asInteger(getKey(request, 'attempt')) : undefined) ?? 1;
};

/** Why a failed delegation is not retried, or null when it may be (within `maxRetries`). */
export const retryBlocker = (record: JsonObject, maxRetries: number): string | null => {
  if (childStatusOf(record) !== 'failed') return 'not failed';
  if (getKey(record, 'retried_by') !== undefined) return 'already retried';
  if (attemptOf(record) > maxRetries) return 'retry limit reached';
  // A cancel was asked for (its final write may have failed after the worker was killed).
  if (asString(getKey(getKey(record, 'worker_lifecycle'), 'cancel_requested_at')) !== undefined) return 'cancel requested';
  const reasons = [asString(getKey(getKey(record, 'worker_result'), 'failure_reason')), asString(getKey(getKey(record, 'latest_failure'), 'reason'))];
  const blocked = reasons.find((reason) => reason !== undefined && NOT_RETRIED_FAILURE_REASONS.includes(reason));
  return blocked === undefined ? null : `failure reason ${blocked}`;
};

/** Whether a terminal delegation should be retried (failed for a retryable reason, under the limit, not yet retried). */
export const wantsRetry = (record: JsonObject, maxRetries: number): boolean => retryBlocker(record, maxRetries) === null;
