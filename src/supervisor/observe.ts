/**
 * What the supervisor looks at before each plan: every delegation record of the run, refreshed
 * from its raw events and process but not written (the plan decides the writes); then, once the
 * writes are done, whether a live monitor watches each running one; and the run's task cards.
 */
import { childStatusOf } from '../lifecycle/derive.js';
import type { ObservedDelegation, ObservedRecord } from '../lifecycle/supervisor-plan.js';
import type { RunContext } from '../ops/context.js';
import { monitorLiveness } from '../ops/liveness.js';
import { startObservationPass } from '../ops/observation-pass.js';
import { observeDelegation, writeObservedRefreshSync } from '../ops/refresh.js';
import { loadDelegations, loadTaskCards } from '../store/records.js';
import type { JsonObject } from '../util/json.js';

export interface SupervisedRecord extends ObservedRecord {
  /** The record as read from disk (what stays when a refresh cannot be written). */
  persisted: JsonObject;
}

/** Every delegation of the run, observed (a record whose observation fails is kept as persisted). */
export const observeRun = (ctx: RunContext): SupervisedRecord[] => {
  // One look at each process and folder for the whole tick (see observation-pass.ts).
  const pass = startObservationPass();
  return loadDelegations(ctx.runDir).records.map(({ path, record: persisted }) => {
    try {
      const observation = observeDelegation(ctx, path, persisted, pass);
      return { path, persisted, record: observation.record, refresh: observation.change };
    } catch {
      // Reported by status; kept as persisted, so fan-in does not collapse past it.
      return { path, persisted, record: persisted, refresh: 'none' };
    }
  });
};

/**
 * Writes a delegation's refresh under its record lock (re-observed there). Returns it as it now
 * is: written, or as persisted when the write failed, or as observed when somebody else holds it.
 */
export const writeRefresh = (ctx: RunContext, d: SupervisedRecord): SupervisedRecord => {
  let record = d.persisted;
  try {
    record = d.refresh === 'none' ? d.record : writeObservedRefreshSync(ctx, d.path, { record: d.record, change: d.refresh }).record;
  } catch {
    // Kept as persisted (as status shows it).
  }
  return { path: d.path, persisted: record, record, refresh: 'none' };
};

/** Adds whether a live monitor watches each running delegation (the others read as watched). */
export const withMonitorLiveness = (d: ObservedRecord): ObservedDelegation => ({
  path: d.path,
  record: d.record,
  refresh: d.refresh,
  monitorAlive: childStatusOf(d.record) !== 'running' || monitorLiveness(d.record) === 'alive',
});

/** The run's task cards by id (their file names); unreadable ones are left out (the fan-in op reports them). */
export const observeTaskCards = (ctx: RunContext): Map<string, JsonObject> =>
  new Map(loadTaskCards(ctx.runDir).records.map(({ fileName, record }) => [fileName.replace(/\.json$/, ''), record]));
