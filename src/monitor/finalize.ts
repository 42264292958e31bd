/**
 * Turning a finished worker into its result, from what the wrapper left: its exit record (wait
 * status), the raw events and the stderr file. Used by the Node finalizer the wrapper starts, by
 * the supervisor and by any status refresh that finds the exit record first (all fenced by the
 * launch generation under the record lock, so one of them writes).
 */
import { closeSync, readSync, statSync } from 'node:fs';
import { snapshotFromRawEventsFileSync } from '../events/snapshot.js';
import type { ExitInfo } from '../events/types.js';
import { applyCompletion, applySpawnFailure } from '../lifecycle/mutations.js';
import type { RunContext } from '../ops/context.js';
import { workerKindOf } from '../ops/worker-kind.js';
import { workerProcessRef } from '../ops/liveness.js';
import { isSignallableGroup, listGroupMembers, signalGroup } from '../process/group.js';
import { groupProvenByMember } from '../process/terminate.js';
import { resolveInsideRun } from '../store/paths.js';
import { openRegularFileSync } from '../store/regular-file.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { exitInfoOf, type WrapperExit } from './wrapper.js';

/** The last `bytes` of a regular file as text ('' when unreadable). */
export const tailOf = (path: string, bytes: number): string => {
  try {
    const { fd, stat } = openRegularFileSync(path, { what: 'stderr file' });
    try {
      const buffer = Buffer.alloc(Math.min(stat.size, bytes));
      readSync(fd, buffer, 0, buffer.length, Math.max(stat.size - bytes, 0));
      return buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
};

/** `setsid` could not execute the worker's program (it exits 126/127 and says so on stderr). */
const spawnFailureOf = (exit: ExitInfo, stderrTail: string): string | null => {
  if (exit.code !== 126 && exit.code !== 127) return null;
  const line = stderrTail.split('\n').find((l) => l.startsWith('setsid: failed to execute'));
  return line ?? null;
};

/**
 * The record finalized from the wrapper's exit record (`null`: the wrapper died before the worker
 * ended, so the exit status is unknown). The caller writes it, fenced by the generation.
 */
export const finalizeFromWrapperExit = (ctx: RunContext, path: string, record: JsonObject, exitRecord: WrapperExit | null, endedAtMs: number = ctx.now()): JsonObject => {
  const evidence = getKey(record, 'worker_launch_evidence');
  const inside = (field: string): string | undefined => {
    const named = asString(getKey(evidence, field));
    if (named === undefined) return undefined;
    try {
      return resolveInsideRun(ctx.runDir, named, { allowOutside: ctx.allowOutsidePaths, recordPath: path, field: `worker_launch_evidence.${field}` });
    } catch {
      return undefined;
    }
  };
  const rawEventsFile = inside('raw_events_file') ?? '';
  const stderrFile = inside('stderr_file');
  const stderrTail = stderrFile === undefined ? '' : tailOf(stderrFile, 4096);
  const exit: ExitInfo = exitRecord === null ? { code: null, signal: null } : exitInfoOf(exitRecord);
  const endedAt = formatRfc3339(endedAtMs);
  const spawnFailure = spawnFailureOf(exit, stderrTail);
  if (spawnFailure !== null) {
    const failure = { errno: exit.code === 126 ? 'EACCES' : 'ENOENT', path: '', message: spawnFailure };
    return applySpawnFailure(record, failure, endedAt, workerKindOf(record), { success: false, exit_code: exit.code, signal: null });
  }
  const snapshot = snapshotFromRawEventsFileSync(rawEventsFile, workerKindOf(record), exit, endedAt, { stderrTail });
  return applyCompletion(record, {
    completedAt: endedAt,
    status: snapshot.status,
    summary: snapshot.summary,
    workerResult: snapshot.worker_result,
    latestFailure: snapshot.latest_failure,
  });
};

/** When the wrapper recorded the end (its exit record's mtime), else undefined. */
export const exitRecordedAtMs = (exitFile: string): number | undefined => {
  try {
    return Math.floor(statSync(exitFile).mtimeMs);
  } catch {
    return undefined;
  }
};

/**
 * What a worker left in its process group after it exited (a grandchild holding its stdout), killed
 * at once, for finalizers that cannot wait out a grace period (the supervisor, a status refresh).
 * Only a group proven to be the worker's is signalled (a member started before the worker ended).
 * Returns the pids that were there.
 */
export const killProvenLeftovers = (record: JsonObject, endedAtMs: number): number[] => {
  const { pgid, identity } = workerProcessRef(record);
  if (pgid === null || !isSignallableGroup(pgid)) return [];
  const members = listGroupMembers(pgid);
  if (members.length === 0 || !groupProvenByMember(pgid, identity, formatRfc3339(endedAtMs))) return [];
  try {
    signalGroup(pgid, 'SIGKILL');
  } catch {
    return [];
  }
  return members;
};
