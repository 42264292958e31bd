/**
 * Runs and task cards: `captain start`, `captain task` (listing: run-list.ts). Records use upstream
 * CCC's field names so upstream tools (and captain's own status) read them alike.
 */
import { budgetKeys, checkBudgetChange, type BudgetChange } from './budget.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CaptainError } from '../errors.js';
import { appendRunEvent } from '../store/events-log.js';
import { readJsonObjectSync, writeJsonAtomicSync } from '../store/json-file.js';
import { runLayout, taskCardPath } from '../store/paths.js';
import { updateJsonRecord } from '../store/update-record.js';
import { enclosingCaptainDir, ensureCaptainGitignore } from '../store/workspace.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { newId } from './ids.js';

/** The embedded default: runs live in `.captain/runs/<run_id>/` under the working directory. */
export const DEFAULT_RUNS_DIR = join('.captain', 'runs');

export interface CreatedRun {
  run_id: string;
  run_dir: string;
  task_card_id: string;
  run_ref: string;
}

const taskCardRecord = (input: { taskCardId: string; runId: string; title: string; lanes: string[]; now: string }): JsonObject => ({
  task_card_id: input.taskCardId,
  run_id: input.runId,
  title: input.title,
  status: 'active',
  node_kind: 'execution',
  owner_role: 'orchestrator',
  created_at: input.now,
  updated_at: input.now,
  ...(input.lanes.length > 0
    ? {
        parallel_fanout: {
          mode: 'parallel',
          created_by: 'captain',
          requested_parallel: true,
          selection_basis: 'explicit_parallel_signal',
          required_lane_ids: input.lanes,
          all_lane_ids: input.lanes,
          lanes: input.lanes.map((lane) => ({ lane_id: lane, required: true })),
        },
      }
    : {}),
});

const parseLanes = (lanes: readonly string[] | undefined): string[] => {
  const out = (lanes ?? []).map((l) => l.trim()).filter((l) => l !== '');
  for (const lane of out) {
    if (!/^[A-Za-z0-9._-]+$/.test(lane)) throw new CaptainError('USAGE', `--parallel-lanes: lane id "${lane}" may hold only letters, digits, ".", "_" and "-"`);
  }
  if (new Set(out).size !== out.length) throw new CaptainError('USAGE', `--parallel-lanes: lane ids must be distinct (got ${out.join(', ')})`);
  return out;
};

/**
 * Creates a run directory with run.json, a first task card and events.jsonl. A run under a
 * `.captain` folder makes sure that folder has its `.gitignore` (`*`), so runs stay out of `git status`.
 */
export const createRun = (input: { runDir?: string; baseDir?: string; title: string; goal?: string; parallelLanes?: string[]; nowMs?: number; budget?: BudgetChange; maxParallel?: number | 'auto' }): CreatedRun => {
  if (input.budget !== undefined) checkBudgetChange(input.budget);
  const nowMs = input.nowMs ?? Date.now();
  const now = formatRfc3339(nowMs);
  const runId = newId('run', nowMs);
  const runDir = resolve(input.runDir ?? join(input.baseDir ?? DEFAULT_RUNS_DIR, runId));
  const layout = runLayout(runDir);
  if (existsSync(layout.runJson)) throw new CaptainError('USAGE', `${layout.runJson} already exists; pick another --run-dir or use \`captain task\` to add work to it`);
  for (const dir of [layout.taskCardsDir, layout.delegationsDir, layout.rawEventsDir]) mkdirSync(dir, { recursive: true });
  const captainDir = enclosingCaptainDir(runDir);
  if (captainDir !== null) ensureCaptainGitignore(captainDir);
  const taskCardId = newId('card', nowMs);
  const lanes = parseLanes(input.parallelLanes);
  writeJsonAtomicSync(taskCardPath(runDir, taskCardId), taskCardRecord({ taskCardId, runId, title: input.title, lanes, now }));
  writeJsonAtomicSync(layout.runJson, {
    run_id: runId,
    title: input.title,
    goal: input.goal ?? input.title,
    status: 'active',
    stage: 'execution',
    active_task_card_id: taskCardId,
    task_card_ids: [taskCardId],
    created_by: 'captain',
    ...(input.budget === undefined ? {} : budgetKeys(input.budget)),
    // The supervisor's default limit (`auto`: from the machine; see lifecycle/parallel-limit.ts).
    ...(input.maxParallel === undefined ? {} : { max_parallel: input.maxParallel }),
    created_at: now,
    updated_at: now,
  });
  appendRunEvent(runDir, { event: 'run_started', at: now, run_id: runId });
  appendRunEvent(runDir, { event: 'task_card_added', at: now, task_card_id: taskCardId, title: input.title });
  return { run_id: runId, run_dir: runDir, task_card_id: taskCardId, run_ref: `ccc-run:${runDir}` };
};

/** Adds a task card to a run and makes it the active one. */
export const addTaskCard = async (
  runDir: string,
  input: { title: string; parallelLanes?: string[]; nowMs?: number },
): Promise<{ task_card_id: string; task_card: JsonObject }> => {
  const nowMs = input.nowMs ?? Date.now();
  const now = formatRfc3339(nowMs);
  const layout = runLayout(runDir);
  const run = readJsonObjectSync(layout.runJson);
  const taskCardId = newId('card', nowMs);
  const card = taskCardRecord({ taskCardId, runId: asString(getKey(run, 'run_id')) ?? '', title: input.title, lanes: parseLanes(input.parallelLanes), now });
  writeJsonAtomicSync(taskCardPath(runDir, taskCardId), card);
  await updateJsonRecord(layout.runJson, (current) => {
    const ids = getKey(current, 'task_card_ids');
    return { ...current, active_task_card_id: taskCardId, task_card_ids: [...(Array.isArray(ids) ? ids : []), taskCardId], updated_at: now };
  });
  appendRunEvent(runDir, { event: 'task_card_added', at: now, task_card_id: taskCardId, title: input.title });
  return { task_card_id: taskCardId, task_card: card };
};
