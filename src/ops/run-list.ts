/**
 * `captain runs`, `captain_list_runs`, and the default run of commands given no `--run-dir`: the
 * runs of a workspace (`<workspace>/.captain/runs/*`), newest first. Read-only and cheap: each run
 * is judged from its records as persisted (the `--snapshot` derivation; no heartbeat refresh, no
 * raw events, no `/proc`, nothing written). A run that cannot be read is listed with its error.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RuntimeConfig } from '../config/defaults.js';
import { CaptainError, describeError, isCaptainError } from '../errors.js';
import { childStatusOf, deriveWorkerLifecycleView } from '../lifecycle/derive.js';
import { countPhases, runOutcome, workerPhase, type OutcomeWorker, type RunOutcome } from '../lifecycle/phase.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { runLayout } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { findWorkspace, workspaceRunsDir } from '../store/workspace.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import { sumUsage } from './usage.js';
import { worktreeDiskUsage } from '../worktree/disk.js';

/** A run folder found under a runs folder, with its run.json when readable. */
export interface RunFolder {
  name: string;
  run_dir: string;
  run: JsonObject | null;
  /** Why run.json could not be used. */
  error: string | null;
  /** run.json's `created_at`, else the folder's mtime (what "newest" means). */
  sort_ms: number;
}

export type ListedRunOutcome = RunOutcome | 'unreadable';

export interface RunListEntry extends JsonObject {
  /** With `disk: true` (`captain runs --disk`): the run's git worktrees and the bytes they use; else null. */
  worktree_disk: { worktrees: number; bytes: number } | null;
  run_id: string;
  run_dir: string;
  title: string | null;
  status: string | null;
  created_at: string | null;
  /** Since `created_at` (else the folder's mtime). */
  age_ms: number;
  outcome: ListedRunOutcome;
  worker_count: number;
  /** Workers by phase (each counted once: a reclaimed worker is `reclaimed`, not `timed_out`). */
  counts: Record<string, number>;
  total_tokens: number;
  cost_usd: number | null;
  /** Delegation files that could not be read (left out of the counts). */
  record_errors: number;
  /** Why the run could not be read at all (outcome `unreadable`). */
  error: string | null;
}

export interface RunList extends JsonObject {
  workspace: string;
  runs_dir: string;
  runs: RunListEntry[];
}

const readRunJson = (runDir: string): { run: JsonObject | null; error: string | null } => {
  try {
    return { run: readJsonObjectSync(runLayout(runDir).runJson), error: null };
  } catch (error) {
    if (isCaptainError(error) && error.code === 'NOT_FOUND') return { run: null, error: 'no run.json' };
    const reason = isCaptainError(error) && typeof error.data?.['reason'] === 'string' ? error.data['reason'] : describeError(error);
    return { run: null, error: `run.json: ${reason}` };
  }
};

/** The run folders under `runsDir`, newest first (hidden names and non-folders skipped); [] when it does not exist. */
export const scanRunFolders = (runsDir: string): RunFolder[] => {
  const root = resolve(runsDir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CaptainError('IO', `${root}: could not list the runs folder (${describeError(error)})`, { cause: error, data: { path: root } });
  }
  const folders: RunFolder[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const runDir = join(root, name);
    let mtimeMs: number;
    try {
      const stat = statSync(runDir);
      if (!stat.isDirectory()) continue;
      mtimeMs = stat.mtimeMs;
    } catch {
      continue; // a dangling link
    }
    const { run, error } = readRunJson(runDir);
    const createdMs = parseRfc3339Millis(getKey(run ?? {}, 'created_at'));
    folders.push({ name, run_dir: runDir, run, error, sort_ms: createdMs ?? Math.floor(mtimeMs) });
  }
  return folders.sort((a, b) => b.sort_ms - a.sort_ms || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
};

/** One run's row, judged from its records as persisted at `nowMs`. */
export const summarizeRun = (folder: RunFolder, config: RuntimeConfig, nowMs: number): RunListEntry => {
  const run = folder.run ?? {};
  const base = {
    run_id: asString(getKey(run, 'run_id')) ?? folder.name,
    run_dir: folder.run_dir,
    title: asString(getKey(run, 'title')) ?? asString(getKey(run, 'goal')) ?? null,
    status: asString(getKey(run, 'status')) ?? null,
    created_at: asString(getKey(run, 'created_at')) ?? null,
    age_ms: Math.max(nowMs - folder.sort_ms, 0),
  };
  const empty = { worker_count: 0, counts: {}, total_tokens: 0, cost_usd: null, record_errors: 0, worktree_disk: null };
  if (folder.run === null) return { ...base, outcome: 'unreadable', ...empty, error: folder.error };
  let loaded;
  try {
    loaded = loadDelegations(folder.run_dir);
  } catch (error) {
    return { ...base, outcome: 'unreadable', ...empty, error: describeError(error) };
  }
  const workers: OutcomeWorker[] = [];
  const records: JsonObject[] = [];
  for (const { record } of loaded.records) {
    const view = deriveWorkerLifecycleView(record, config, nowMs);
    records.push(record);
    workers.push({
      phase: workerPhase(view, childStatusOf(record)),
      final: getKey(record, 'retried_by') === undefined,
      fannedIn: asString(getKey(record, 'fan_in_collapsed_at')) !== undefined,
    });
  }
  const usage = sumUsage(records);
  return {
    ...base,
    outcome: runOutcome(workers),
    worker_count: workers.length,
    counts: countPhases(workers.map((w) => w.phase)),
    total_tokens: usage.total_tokens,
    cost_usd: usage.cost_usd,
    record_errors: loaded.errors.length,
    worktree_disk: null,
    error: null,
  };
};

/** Where to look for runs: an explicit workspace, else the one found from `cwd` up. */
export interface WorkspaceQuery {
  workspace?: string;
  cwd?: string;
  /** Where the upward search stops (default: the home folder). */
  home?: string;
}

/**
 * The workspace to list: `workspace` as given (it need not hold `.captain/` yet), else the nearest
 * folder from `cwd` up holding `.captain/`.
 * @throws CaptainError USAGE when there is none.
 */
export const resolveWorkspace = (query: WorkspaceQuery = {}): string => {
  if (query.workspace !== undefined) return resolve(query.workspace);
  const cwd = resolve(query.cwd ?? process.cwd());
  const found = findWorkspace(cwd, query.home === undefined ? {} : { home: query.home });
  if (found === null) {
    throw new CaptainError('USAGE', `no captain workspace: no .captain/ folder in ${cwd} or above; pass --run-dir DIR (or --workspace DIR), or start a run here with \`captain start --title ...\``, { data: { cwd } });
  }
  return found;
};

/** Every run of the workspace, newest first, each with its outcome, counts by phase, age, tokens and cost. */
export const listRuns = (query: WorkspaceQuery & { config: RuntimeConfig; now?: () => number; disk?: boolean }): RunList => {
  const workspace = resolveWorkspace(query);
  const runsDir = workspaceRunsDir(workspace);
  const nowMs = (query.now ?? Date.now)();
  const runs = scanRunFolders(runsDir).map((folder) => summarizeRun(folder, query.config, nowMs));
  if (query.disk === true) {
    // A du-like walk of each run's worktrees: opt-in, it costs a stat per checked-out file.
    for (const run of runs) {
      const usage = worktreeDiskUsage(run.run_dir);
      run.worktree_disk = { worktrees: usage.worktrees, bytes: usage.bytes };
    }
  }
  return { workspace, runs_dir: runsDir, runs };
};

/** The run a command given no run directory works on: the newest readable run of the workspace. */
export interface LatestRun {
  run_dir: string;
  workspace: string;
  /** Run folders in the workspace (readable or not). */
  run_count: number;
}

/**
 * The newest run (by run.json `created_at`, else folder mtime) of the workspace; runs whose
 * run.json cannot be read are passed over.
 * @throws CaptainError USAGE when there is no workspace or it holds no readable run.
 */
export const latestRun = (query: WorkspaceQuery = {}): LatestRun => {
  const workspace = resolveWorkspace(query);
  const runsDir = workspaceRunsDir(workspace);
  const folders = scanRunFolders(runsDir);
  const newest = folders.find((f) => f.run !== null);
  if (newest === undefined) {
    const skipped = folders.length > 0 ? ` (${folders.length} unreadable: see \`captain runs\`)` : '';
    throw new CaptainError('USAGE', `no runs in ${runsDir}${skipped}; pass --run-dir DIR, or start one with \`captain start --title ...\``, { data: { workspace } });
  }
  return { run_dir: newest.run_dir, workspace, run_count: folders.length };
};
