/** Disk used by worktrees: a `du`-like walk (allocated blocks, hard links counted once, symlinks not followed). */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonObjectSync } from '../store/json-file.js';
import { worktreesRoot } from './create.js';

/** Bytes allocated under `path` (0 when it does not exist). */
export const diskUsage = (path: string): number => {
  const seen = new Set<string>();
  let total = 0;
  const walk = (p: string): void => {
    let stat;
    try {
      stat = lstatSync(p);
    } catch {
      return;
    }
    const key = `${stat.dev}:${stat.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += stat.blocks * 512;
    if (!stat.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const name of names) walk(join(p, name));
  };
  walk(path);
  return total;
};

export interface WorktreeDiskUsage {
  /** The folder the run's worktrees live in. */
  root: string;
  /** How many worktree folders it holds. */
  worktrees: number;
  /** Bytes they use on disk (their checked-out files; the objects stay in the repository's .git). */
  bytes: number;
}

/** Disk used by the worktrees of the run at `runDir` (for `captain runs` and live views). */
export const worktreeDiskUsage = (runDir: string): WorktreeDiskUsage => {
  let run = {};
  try {
    run = readJsonObjectSync(join(runDir, 'run.json'));
  } catch {
    // the default root
  }
  const root = worktreesRoot(runDir, run);
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return { root, worktrees: 0, bytes: 0 };
  }
  let bytes = 0;
  for (const name of names) bytes += diskUsage(join(root, name));
  return { root, worktrees: names.length, bytes };
};

/** `1.2 MB` */
export const formatBytes = (bytes: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
};
