/**
 * Who a pid is. A pid alone is not a process: after it exits the kernel hands the number to the
 * next process. Captain records the start time in clock ticks and the boot id next to the pid
 * (`worker_lifecycle.process_identity`) and checks them before believing or signalling a pid.
 */
import { PROCESS_START_TOLERANCE_MS } from '../config/defaults.js';
import { formatRfc3339, parseRfc3339Millis } from '../util/time.js';
import { bootId, isValidPid, procAvailable, readProcStat, startTimeMs, type ProcStat } from './proc-stat.js';

/** A process as recorded in `worker_lifecycle.process_identity` (snake_case on disk). */
export interface ProcessIdentity {
  pid: number;
  /** The process group it led or belonged to when captured. */
  pgid: number;
  /** `/proc/<pid>/stat` starttime: ticks after boot. Equal ticks on the same boot = same process. */
  start_ticks: number;
  /** `/proc/sys/kernel/random/boot_id` at capture time. */
  boot_id: string;
  /** The start time as RFC 3339, for people and for upstream-style comparisons. */
  started_at: string;
}

/** What a recorded pid is now. */
export type IdentityVerdict =
  /** The same process is running. */
  | 'alive'
  /** No such process, a zombie, or the process died with an earlier boot. */
  | 'dead'
  /** A process runs under the pid, but it is a different one (the pid was reused). */
  | 'mismatch'
  /** A process runs under the pid, but nothing recorded can prove it is the one meant. */
  | 'unproven';

/** What a record holds about a process. */
export interface RecordedProcess {
  pid: number;
  identity?: ProcessIdentity | null;
  /** Upstream's `worker_lifecycle.process_started_at` (RFC 3339), when there is no identity. */
  processStartedAt?: string | null;
}

const isGoneState = (stat: ProcStat): boolean => stat.state === 'Z' || stat.state === 'X';

/** Reads a process's `/proc/<pid>/stat` fields (null: no such process, or no `/proc`). */
export type ProcStatReader = (pid: number) => ProcStat | null;

/**
 * Whether a process with this pid exists and has not exited: its `/proc/<pid>/stat` is there and
 * not a zombie's (an exited process whose parent has not reaped it; PID 1 in some containers never
 * reaps). Without `/proc`, `process.kill(pid, 0)` answers (EPERM still means it exists). No process
 * is forked. `read` reads the stat (one pass may remember each pid's, see observation-pass.ts);
 * `runs`, when given, is asked first: a cheaper look whose `true` proves the same as a live stat
 * line and whose `false` leaves it to the stat (see `runsProgram`).
 */
export const isPidAlive = (pid: number, read: ProcStatReader = readProcStat, runs?: (pid: number) => boolean): boolean => {
  if (!isValidPid(pid)) return false;
  if (runs?.(pid) === true) return true;
  const stat = read(pid);
  if (stat !== null) return !isGoneState(stat);
  if (procAvailable()) return false; // /proc answers, but not for this pid: it is gone
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The identity of a running process, or null if it is gone, a zombie, or `/proc` is unreadable. */
export const captureProcessIdentity = (pid: number): ProcessIdentity | null => {
  const stat = readProcStat(pid);
  const boot = bootId();
  if (stat === null || isGoneState(stat) || boot === null) return null;
  const startMs = startTimeMs(stat.startTicks);
  if (startMs === null) return null;
  return { pid, pgid: stat.pgrp, start_ticks: stat.startTicks, boot_id: boot, started_at: formatRfc3339(startMs) };
};

/**
 * Decides what a recorded pid is now, without forking:
 * - no such pid, or a zombie → `dead`;
 * - with an identity: another boot → `dead`; other start ticks → `mismatch`; equal → `alive`;
 * - with only an RFC 3339 `processStartedAt` (upstream records): one-sided. Upstream stamps that
 *   time when it first saw the worker (the seed even uses the raw events file's mtime), always at
 *   or after the real start. A process that started at or before it (plus
 *   `PROCESS_START_TOLERANCE_MS`) is the worker → `alive`; one that started later cannot be the
 *   worker seen then, so the pid was reused → `mismatch`;
 * - nothing to compare (or `/proc` unreadable while the pid answers) → `unproven`.
 */
export const verifyProcessIdentity = (recorded: RecordedProcess, read: ProcStatReader = readProcStat): IdentityVerdict => {
  const { pid, identity } = recorded;
  if (identity != null) {
    const boot = bootId();
    if (boot !== null && identity.boot_id !== boot) return 'dead';
  }
  if (!isValidPid(pid)) return 'dead';
  const stat = read(pid);
  if (stat === null) return procAvailable() || !isPidAlive(pid) ? 'dead' : 'unproven';
  if (isGoneState(stat)) return 'dead';
  if (identity != null) {
    return identity.pid === pid && identity.start_ticks === stat.startTicks ? 'alive' : 'mismatch';
  }
  const recordedStartMs = parseRfc3339Millis(recorded.processStartedAt ?? undefined);
  if (recordedStartMs === undefined) return 'unproven';
  const liveStartMs = startTimeMs(stat.startTicks);
  if (liveStartMs === null) return 'unproven';
  return liveStartMs <= recordedStartMs + PROCESS_START_TOLERANCE_MS ? 'alive' : 'mismatch';
};
