/**
 * Processes that left a worker's process group but are still its descendants: a grandchild that
 * called `setsid` (its own session and group) while its parent, a member of the worker's group,
 * still lives. Found by parentage in one `/proc` scan; each is pinned by its start ticks so a pid
 * that exits and is reused before the signal is never hit. A descendant whose parent already
 * exited has been re-parented (to init or a subreaper) and cannot be found this way.
 */
import { readdirSync } from 'node:fs';
import { readProcStat, type ProcStat } from './proc-stat.js';

export interface PinnedProcess {
  pid: number;
  startTicks: number;
}

/** Every live descendant of `roots` (at any depth) whose process group is not `group`. */
export const descendantsOutsideGroup = (roots: readonly number[], group: number | null): PinnedProcess[] => {
  if (roots.length === 0) return [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, ProcStat[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat === null || stat.state === 'Z' || stat.state === 'X') continue;
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat]);
    else siblings.push(stat);
  }
  const found: PinnedProcess[] = [];
  const seen = new Set<number>(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const child of children.get(parent) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      queue.push(child.pid);
      if (child.pgrp !== group) found.push({ pid: child.pid, startTicks: child.startTicks });
    }
  }
  return found;
};
