/**
 * The heartbeat refresh (the seed's `refresh_running_delegation_heartbeat`, done better):
 * progress is the raw events file growing or its mtime moving past `last_progress_at`; a dead
 * worker or a terminal event finalizes the record from a bounded read of the file's head and tail.
 * `observeDelegation` decides without writing; `refreshDelegation` writes under the record lock.
 */
import type { Stats } from 'node:fs';
import { findTerminalEventSync, snapshotFromRawEventsFileSync } from '../events/snapshot.js';
import { applyCompletion, applyObservedSize, applyProgress } from '../lifecycle/mutations.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { CaptainError } from '../errors.js';
import { assertSafeId, locateRawEventsFile } from '../store/paths.js';
import { describeFileType } from '../store/regular-file.js';
import { updateJsonRecordSync } from '../store/update-record.js';
import { asString, asUnsigned, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../util/time.js';
import type { RunContext } from './context.js';
import { monitorIdentityLiveness, monitorIdentityOf, processLiveness, workerProcessRef, type WorkerProcessRef } from './liveness.js';
import { isAbsent, type ObservationWitness } from './observation-witness.js';
import { fileKey } from '../store/file-key.js';
import { FRESH_LOOKS, type ObservationPass } from './observation-pass.js';
import { workerKindOf } from './worker-kind.js';
import { exitRecordedAtMs, finalizeFromWrapperExit, killProvenLeftovers } from '../monitor/finalize.js';
import { readWrapperExit, wrapperExitFile } from '../monitor/wrapper.js';

export type RefreshChange = 'none' | 'progress' | 'finalized';

export interface Observation {
  record: JsonObject;
  change: RefreshChange;
  /** Set when the result came from the wrapper's exit record: when the worker ended. */
  endedAtMs?: number;
  /** For a change of `none` at one of the simple points: what proves a later look would change nothing (observation-witness.ts). */
  witness?: ObservationWitness;
}

/**
 * Finalizes a worker that ended while nobody watched its exit. Upstream records: upstream's rules.
 * Captain's own launches whose monitor died (`strict`): the terminal event decides when there is
 * one; without one the worker failed (`no_terminal_event`), its exit status unknown.
 */
const finalize = (record: JsonObject, rawPath: string, stat: Stats, strict: boolean, hasTerminal: boolean): Observation => {
  const completedAt = formatRfc3339(Math.floor(stat.mtimeMs));
  const exit = strict && !hasTerminal ? { code: null, signal: null } : null;
  const snapshot = snapshotFromRawEventsFileSync(rawPath, workerKindOf(record), exit, completedAt);
  const updated = applyCompletion(record, {
    completedAt,
    status: snapshot.status,
    summary: snapshot.summary,
    workerResult: snapshot.worker_result,
    latestFailure: snapshot.latest_failure,
  });
  return { record: updated, change: 'finalized' };
};

/**
 * Captain's own launches: once the wrapper has recorded the worker's exit, the result is known
 * whoever looks first (the Node finalizer, the supervisor, a status); the write is fenced by the
 * record lock and the running status, so it happens once.
 */
const finalizeFromExitRecord = (ctx: RunContext, path: string, record: JsonObject): { record: JsonObject; endedAtMs: number } | undefined => {
  const exitFile = exitRecordFileOf(ctx, path, record);
  if (exitFile === undefined) return undefined;
  const exit = readWrapperExit(exitFile);
  if (exit === null) return undefined;
  // The exit record names the worker it was written for: a record relaunched under a new pid is not finalized by an old one.
  const pid = asUnsigned(getKey(getKey(record, 'worker_lifecycle'), 'process_id'));
  if (pid !== undefined && pid !== exit.worker_pid) return undefined;
  const endedAtMs = exitRecordedAtMs(exitFile) ?? ctx.now();
  return { record: finalizeFromWrapperExit(ctx, path, record, exit, endedAtMs), endedAtMs };
};

/** Where the wrapper of captain's launch writes the worker's exit (undefined: not captain's launch, or no usable id). */
const exitRecordFileOf = (ctx: RunContext, path: string, record: JsonObject): string | undefined => {
  const generation = asString(getKey(getKey(record, 'worker_lifecycle'), 'generation'));
  const id = asString(getKey(record, 'delegation_id'));
  if (generation === undefined || id === undefined || !/^[0-9a-f]+$/.test(generation)) return undefined;
  try {
    return wrapperExitFile(ctx.runDir, assertSafeId(id, { field: 'delegation_id', recordPath: path }), generation);
  } catch {
    return undefined;
  }
};

/**
 * Looks at a delegation's raw events file and process and returns what the record should become.
 * Only running children change. `pass`: what a pass over many records remembers (see
 * observation-pass.ts); by default every look is fresh. Throws a CaptainError when the raw events path escapes the run.
 */
export const observeDelegation = (ctx: RunContext, path: string, record: JsonObject, pass: ObservationPass = FRESH_LOOKS): Observation => {
  if (childStatusOf(record) !== 'running') return { record, change: 'none' };
  const { path: rawPath, stat, looked } = locateRawEventsFile(ctx.runDir, record, { allowOutside: ctx.allowOutsidePaths, recordPath: path, folders: pass.folders });
  if (stat === undefined) {
    const witness: ObservationWitness | undefined = looked === undefined || pass.witnesses !== true ? undefined : { looked, raw: rawPath, file: null, exit: null, monitor: null, worker: null };
    return { record, change: 'none', ...(witness === undefined ? {} : { witness }) };
  }
  if (!stat.isFile()) {
    // A FIFO would block the reader, /dev/zero never ends: report it and show the record as persisted.
    throw new CaptainError('INVALID_RECORD', `${rawPath}: the raw events file is ${describeFileType(stat)}; expected a regular file`, { data: { path: rawPath, reason: `raw events file is ${describeFileType(stat)}; expected a regular file` } });
  }
  const exitFinal = finalizeFromExitRecord(ctx, path, record);
  if (exitFinal !== undefined) return { record: exitFinal.record, change: 'finalized', endedAtMs: exitFinal.endedAtMs };
  const monitorIdentity = monitorIdentityOf(record);
  const monitor = monitorIdentityLiveness(monitorIdentity, pass.procStat);
  let decidedBy: WorkerProcessRef | null = null;
  if (monitor !== 'alive') {
    // A live monitor finalizes with the real exit status itself; never race it.
    const ref = workerProcessRef(record);
    const liveness = processLiveness(ref, pass.procStat, pass.runsProgram);
    const captainLaunched = monitor === 'dead';
    if (liveness !== 'alive' && captainLaunched) {
      // The wrapper writes the exit record before it exits: one that exited since the first look left it.
      const late = finalizeFromExitRecord(ctx, path, record);
      if (late !== undefined) return { record: late.record, change: 'finalized', endedAtMs: late.endedAtMs };
    }
    if (liveness !== 'alive') {
      const hasTerminal = findTerminalEventSync(rawPath, workerKindOf(record)) !== null;
      if (hasTerminal || liveness === 'dead') return finalize(record, rawPath, stat, captainLaunched, hasTerminal);
    } else decidedBy = ref;
  }
  const lifecycle = getKey(record, 'worker_lifecycle');
  const lastProgressMs = parseRfc3339Millis(getKey(lifecycle, 'last_progress_at')) ?? 0;
  const mtimeMs = Math.floor(stat.mtimeMs);
  const storedSize = asUnsigned(getKey(lifecycle, 'raw_events_size'));
  const grew = storedSize !== undefined && stat.size > storedSize;
  if (mtimeMs <= lastProgressMs && !grew) {
    const witness = looked === undefined || pass.witnesses !== true || (monitor !== 'alive' && decidedBy === null) ? undefined : witnessOf(ctx, path, record, { looked, raw: rawPath, stat, monitor: { identity: monitorIdentity, liveness: monitor }, worker: decidedBy });
    return { record, change: 'none', ...(witness === undefined ? {} : { witness }) };
  }
  // Progress is dated by the file's mtime, never by the time of looking: output written in the
  // worker's first milliseconds (a coarse mtime at or before `last_progress_at`) is not fresh
  // progress when first seen much later; only the size is recorded then.
  const updated = mtimeMs > lastProgressMs ? applyProgress(record, formatRfc3339(mtimeMs), stat.size) : applyObservedSize(record, stat.size);
  return updated === undefined ? { record, change: 'none' } : { record: updated, change: 'progress' };
};

/** The witness of an observation that found a live worker (or monitor) and no progress; undefined when an exit record is there. */
const witnessOf = (
  ctx: RunContext,
  path: string,
  record: JsonObject,
  seen: { looked: string; raw: string; stat: Stats; monitor: NonNullable<ObservationWitness['monitor']>; worker: WorkerProcessRef | null },
): ObservationWitness | undefined => {
  const exit = exitRecordFileOf(ctx, path, record) ?? null;
  // One that is there but was not this worker's (or not readable) is looked at every time.
  if (exit !== null && !isAbsent(exit)) return undefined;
  return { looked: seen.looked, raw: seen.raw, file: fileKey(seen.stat), exit, monitor: seen.monitor, worker: seen.worker };
};

/**
 * Observes and, when something changed, writes under the record lock (re-reading first, so a
 * concurrent writer's update is never lost). With `wait: false` a record somebody else holds is
 * returned as observed but not written; `write: false` never writes (the seed's snapshot).
 */
export const refreshDelegationSync = (
  ctx: RunContext,
  path: string,
  record: JsonObject,
  opts: { write: boolean; pass?: ObservationPass },
): Observation => {
  const first = observeDelegation(ctx, path, record, opts.pass);
  if (first.change === 'none' || !opts.write) return first;
  return writeObservedRefreshSync(ctx, path, first);
};

/**
 * Writes what an observation found, under the record lock: the record is read and observed again
 * there (a concurrent writer's update is never lost), and written when something changed. Returns
 * `first` unchanged when somebody else holds the lock.
 */
export const writeObservedRefreshSync = (ctx: RunContext, path: string, first: Observation): Observation => {
  let change: RefreshChange = 'none';
  const result = updateJsonRecordSync(path, (current) => {
    const again = observeDelegation(ctx, path, current);
    change = again.change;
    if (again.change === 'none') return undefined;
    if (again.endedAtMs === undefined) return again.record;
    // Finalizing from the wrapper's exit record: what the worker left in its group goes too.
    const orphans = killProvenLeftovers(current, again.endedAtMs);
    if (orphans.length === 0) return again.record;
    const lifecycle = getKey(again.record, 'worker_lifecycle');
    return isJsonObject(lifecycle) ? { ...again.record, worker_lifecycle: { ...lifecycle, orphans_reaped: orphans } } : again.record;
  });
  if (!result.locked) return first;
  return { record: result.record, change };
};
