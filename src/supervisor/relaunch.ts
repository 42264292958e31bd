/**
 * Lost launches: a process that wrote a delegation record as `launching` (delegate, or the
 * supervisor launching a queued one) and died before starting its monitor leaves a record no
 * monitor will ever claim. Rather than letting it time out and count as a failure, the supervisor
 * launches it again under a new generation: a slow first monitor that claims later finds its
 * generation superseded and exits before starting any worker (it claims before it spawns), so
 * the worker never runs twice. Bounded by SUPERVISOR_MAX_RELAUNCHES; after that the normal
 * timeout and reclaim apply.
 */
import { randomBytes } from 'node:crypto';
import { SUPERVISOR_LAUNCH_CLAIM_GRACE_MS, SUPERVISOR_MAX_RELAUNCHES } from '../config/defaults.js';
import { childStatusOf } from '../lifecycle/derive.js';
import type { RunContext } from '../ops/context.js';
import { startMonitor } from '../ops/delegate.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asInteger, asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../util/time.js';

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

/**
 * Launches the delegation at `path` again if it is still an unclaimed launch due for it at `nowMs`
 * (re-checked under the record lock). Returns the delegation id when it did.
 */
export const relaunchLostLaunch = async (ctx: RunContext, path: string, staleAfterMs: number, nowMs: number): Promise<string | undefined> => {
  const generation = randomBytes(8).toString('hex');
  let id: string | undefined;
  await updateJsonRecord(path, (current) => {
    const due = lostLaunchDueAt(current, staleAfterMs);
    if (due === undefined || due > nowMs) return undefined;
    // Stamped under the lock, so a long wait for it does not make the new launch look old.
    const now = formatRfc3339(ctx.now());
    id = asString(getKey(current, 'delegation_id'));
    if (id === undefined) return undefined;
    const lifecycle = getKey(current, 'worker_lifecycle') as JsonObject;
    return {
      ...current,
      updated_at: now,
      worker_lifecycle: {
        ...lifecycle,
        generation,
        launch_requested_at: now,
        last_progress_at: now,
        relaunch_count: (asInteger(getKey(lifecycle, 'relaunch_count')) ?? 0) + 1,
        summary: 'the monitor never claimed the launch (its launcher died?); launched again',
      },
    };
  });
  if (id === undefined) return undefined;
  await startMonitor(ctx, id, generation);
  return id;
};
