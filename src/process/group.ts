/**
 * Process groups. A worker is spawned as the leader of its own group, so signalling the group
 * (`kill(-pgid)`) reaches the grandchildren it started too (upstream signalled only the pid).
 * Membership comes from scanning `/proc/<pid>/stat`; no process is forked.
 */
import { readdirSync } from 'node:fs';
import { CaptainError } from '../errors.js';
import { isValidPid, procAvailable, readProcStat } from './proc-stat.js';

/** Whether `pgid` may be signalled as a group: a real group id that is not init's and not captain's own. */
export const isSignallableGroup = (pgid: number): boolean => {
  if (!isValidPid(pgid) || pgid === 1) return false;
  const own = readProcStat(process.pid)?.pgrp;
  return own === undefined ? pgid !== process.pid : pgid !== own;
};

/** The pids of the live (non-zombie) processes whose process group is `pgid`, ascending. Empty without `/proc`. */
export const listGroupMembers = (pgid: number): number[] => {
  if (!isValidPid(pgid)) return [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat !== null && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
  }
  return members.sort((a, b) => a - b);
};

/**
 * Sends `signal` to every process in group `pgid` (`process.kill(-pgid, signal)`). Returns false
 * when the group no longer exists (ESRCH). Throws CaptainError USAGE for a group that must never be
 * signalled (≤ 1, or captain's own group) and IO for any other failure (e.g. EPERM).
 */
export const signalGroup = (pgid: number, signal: NodeJS.Signals): boolean => {
  if (!isSignallableGroup(pgid)) {
    throw new CaptainError('USAGE', `refusing to signal process group ${pgid}: expected a worker's group id (> 1, not captain's own group)`, { data: { pgid, signal } });
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new CaptainError('IO', `cannot send ${signal} to process group ${pgid}: ${(error as Error).message}`, { cause: error, data: { pgid, signal } });
  }
};

/**
 * Whether no live process is left in group `pgid`. Cheap first check `kill(-pgid, 0)` (ESRCH: gone),
 * then the `/proc` scan, which also counts a group of only zombies as gone (without `/proc`, kill(0) decides).
 */
export const isGroupGone = (pgid: number): boolean => {
  if (!isValidPid(pgid)) return true;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  if (!procAvailable()) return false; // no /proc: kill(0) answered, so trust it
  return listGroupMembers(pgid).length === 0;
};
