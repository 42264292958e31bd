/**
 * Lost launches, the pure rule: a record left `launching` that no monitor ever claimed (its
 * launcher died before starting one) is presumed lost once the claim grace has passed, and may be
 * launched again (see src/supervisor/relaunch.ts), at most SUPERVISOR_MAX_RELAUNCHES times.
 */
import { SUPERVISOR_LAUNCH_CLAIM_GRACE_MS, SUPERVISOR_MAX_RELAUNCHES } from '../config/defaults.js';
import { asInteger, asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import { childStatusOf } from './derive.js';

/**
 * When an unclaimed launch of this record will be presumed lost (ms since epoch), or undefined when
 * the record is not an unclaimed launch that may still be relaunched.
 */
export const lostLaunchDueAt = (record: JsonObject, staleAfterMs: number): number | undefined => {
  const lifecycle = getKey(record, 'worker_lifecycle');
  if (!isJsonObject(lifecycle) || childStatusOf(record) !== 'running') return undefined;
  if (asString(getKey(lifecycle, 'state')) !== 'launching' || asString(getKey(lifecycle, 'generation')) === undefined) return undefined;
  // Claimed by a monitor (alive or not) or a worker already started: not a lost launch.
  if (isJsonObject(getKey(lifecycle, 'monitor_identity')) || asInteger(getKey(lifecycle, 'monitor_process_id')) !== undefined) return undefined;
  if (asInteger(getKey(lifecycle, 'process_id')) !== undefined) return undefined;
  if ((asInteger(getKey(lifecycle, 'relaunch_count')) ?? 0) >= SUPERVISOR_MAX_RELAUNCHES) return undefined;
  const requested = parseRfc3339Millis(getKey(lifecycle, 'launch_requested_at'));
  if (requested === undefined) return undefined;
  return requested + Math.min(SUPERVISOR_LAUNCH_CLAIM_GRACE_MS, Math.floor(staleAfterMs / 2));
};
