/**
 * Spawns the fixture workers for the process tests: real Node processes, `detached: true` (each
 * leads its own process group), stdin ignored, stdout read line by line. Everything spawned is
 * remembered so `killAllSpawned()` (call it in `after`) can SIGKILL it even when a test failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readProcStat } from '../../src/process/proc-stat.js';

export const fixturePath = (name: string): string => fileURLToPath(new URL(`../fixtures/workers/${name}`, import.meta.url));

export interface SpawnedWorker {
  child: ChildProcess;
  pid: number;
  /** Parsed JSON stdout lines so far. */
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first line (seen or future) that `match` accepts; rejects after `timeoutMs`. */
  waitForLine: (match: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
  /** Resolves once the child has exited and been reaped. */
  exited: Promise<void>;
}

const spawnedGroups = new Set<number>();
/** pid → start ticks when tracked, so a pid reused since is never killed by the cleanup. */
const spawnedPids = new Map<number, number>();

/** Also kill this pid in `killAllSpawned` (e.g. a grandchild that left the group). */
export const trackPid = (pid: number): void => {
  const stat = readProcStat(pid);
  if (stat !== null) spawnedPids.set(pid, stat.startTicks);
};

export interface SpawnOptions {
  args?: string[];
  /** false: stay in the test runner's process group (to test that it is never group-signalled). */
  detached?: boolean;
  /** Run the fixture through this executable path (e.g. a symlink to node with an odd name). */
  execPath?: string;
}

export const spawnWorker = (fixture: string, options: SpawnOptions = {}): SpawnedWorker => {
  const detached = options.detached ?? true;
  const child = spawn(options.execPath ?? process.execPath, [fixturePath(fixture), ...(options.args ?? [])], {
    detached,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`spawning fixture ${fixture} failed`);
  if (detached) spawnedGroups.add(pid);
  trackPid(pid);

  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        // not JSON: ignored, like the raw-event parser does
      }
      newline = buffer.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitForLine: SpawnedWorker['waitForLine'] = (match, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match);
        if (found === undefined) return false;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`fixture ${fixture} (pid ${pid}) printed no matching line in ${timeoutMs} ms; got ${JSON.stringify(lines)}`));
      }, timeoutMs);
      if (!check()) waiters.add(wake);
    });

  return { child, pid, lines, waitForLine, exited };
};

/** Resolves once `fixture` has printed its `thread.started` line (handlers installed, if any). */
export const spawnReady = async (fixture: string, options: SpawnOptions = {}): Promise<SpawnedWorker> => {
  const worker = spawnWorker(fixture, options);
  await worker.waitForLine((line) => line.type === 'thread.started');
  return worker;
};

/** Whether the pid is a live, non-zombie process, read straight from /proc (independent of src/). */
export const procAlive = (pid: number): boolean => {
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
};

/** SIGKILLs every group and pid spawned through this harness. Safe to call repeatedly. */
export const killAllSpawned = (): void => {
  const ownGroup = readProcStat(process.pid)?.pgrp;
  for (const pgid of spawnedGroups) {
    if (pgid > 1 && pgid !== ownGroup) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const [pid, startTicks] of spawnedPids) {
    if (pid > 1 && pid !== process.pid && procAlive(pid) && readProcStat(pid)?.startTicks === startTicks) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  spawnedGroups.clear();
  spawnedPids.clear();
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 10 ms until true; throws with `what` after `timeoutMs`. */
export const waitFor = async (condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
};
