/**
 * What the supervisor looks at before each plan: every delegation record of the run, refreshed
 * from its raw events and process but not written (the plan decides the writes), and whether a live
 * monitor watches it.
 */
import { childStatusOf } from '../lifecycle/derive.js';
import type { ObservedDelegation } from '../lifecycle/supervisor-plan.js';
import type { RunContext } from '../ops/context.js';
import { monitorLiveness } from '../ops/liveness.js';
import { observeDelegation, refreshDelegationSync } from '../ops/refresh.js';
import { loadDelegations, loadTaskCards } from '../store/records.js';
import type { JsonObject } from '../util/json.js';

export interface SupervisedDelegation extends ObservedDelegation {
  /** The record as read from disk (what a refresh write starts from). */
  persisted: JsonObject;
}

const withFacts = (path: string, persisted: JsonObject, record: JsonObject, refresh: ObservedDelegation['refresh']): SupervisedDelegation => ({
  path,
  persisted,
  record,
  refresh,
  monitorAlive: childStatusOf(record) !== 'running' || monitorLiveness(record) === 'alive',
});

/** Every delegation of the run, observed (a record whose observation fails is kept as persisted). */
export const observeRun = (ctx: RunContext): SupervisedDelegation[] =>
  loadDelegations(ctx.runDir).records.map(({ path, record: persisted }) => {
    try {
      const observation = observeDelegation(ctx, path, persisted);
      return withFacts(path, persisted, observation.record, observation.change);
    } catch {
      // Reported by status; kept as persisted, so fan-in does not collapse past it.
      return withFacts(path, persisted, persisted, 'none');
    }
  });

/** The run's task cards by id (their file names); unreadable ones are left out (the fan-in op reports them). */
export const observeTaskCards = (ctx: RunContext): Map<string, JsonObject> =>
  new Map(loadTaskCards(ctx.runDir).records.map(({ fileName, record }) => [fileName.replace(/\.json$/, ''), record]));

/**
 * Writes a delegation's refresh under its record lock (re-observed there). Returns it as it now
 * is: written, or as persisted when the write failed, or as observed when somebody else holds it.
 */
export const writeRefresh = (ctx: RunContext, d: SupervisedDelegation): SupervisedDelegation => {
  let record = d.persisted;
  try {
    record = refreshDelegationSync(ctx, d.path, d.persisted, { write: true }).record;
  } catch {
    // Kept as persisted (as status shows it).
  }
  return withFacts(d.path, record, record, 'none');
};
