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
import { lostLaunchDueAt } from '../lifecycle/lost-launch.js';
import type { RunContext } from '../ops/context.js';
import { startMonitor } from '../ops/delegate.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asInteger, asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';

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
