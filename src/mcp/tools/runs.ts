/** captain_start_run, captain_add_task, captain_list_runs. */
import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { openRunContext } from '../../ops/context.js';
import { listRuns } from '../../ops/run-list.js';
import { addTaskCard, createRun } from '../../ops/runs.js';
import { answer, guarded, type McpRuns } from '../context.js';
import { BUDGET_ACTIONS } from '../../lifecycle/budget.js';
import { MCP_LIST_RUNS_DEFAULT_LIMIT as LIST_RUNS_DEFAULT_LIMIT } from '../../config/defaults.js';

const runRow = z.object({
  run_id: z.string(),
  run_dir: z.string(),
  title: z.string().nullable(),
  status: z.string().nullable(),
  created_at: z.string().nullable(),
  age_ms: z.number(),
  outcome: z.enum(['running', 'fanned_in', 'failed', 'idle', 'unreadable']),
  worker_count: z.number(),
  counts: z.record(z.string(), z.number()),
  total_tokens: z.number(),
  cost_usd: z.number().nullable(),
  record_errors: z.number(),
  worktree_disk: z.object({ worktrees: z.number(), bytes: z.number() }).nullable().describe('null unless measured (`captain runs --disk`)'),
  error: z.string().nullable(),
});

const lanes = z.array(z.string().min(1)).max(16).optional().describe('declare a parallel fan-out gate: lane ids that each need a terminal worker before fan-in');

export const registerRunTools = (server: McpServer, runs: McpRuns): void => {
  server.registerTool(
    'captain_start_run',
    {
      title: 'Start a run',
      description: 'Create a run (a folder of records) with a first task card. Returns run_dir and task_card_id for the other tools.',
      inputSchema: {
        title: z.string().min(1).max(500),
        goal: z.string().max(4000).optional(),
        parallel_lanes: lanes,
        max_tokens: z.number().int().positive().optional().describe('run budget: once the workers used this many tokens, nothing new launches (budget_exceeded event)'),
        max_cost_usd: z.number().positive().optional().describe('run budget in dollars (known costs only: workers of unpriced models count tokens, not dollars)'),
        budget_action: z.enum(BUDGET_ACTIONS).optional().describe('hold (default): running workers finish; cancel: they are cancelled too'),
        max_parallel: z.union([z.number().int().positive(), z.literal('auto')]).optional().describe('launch at most this many workers at once (run.json max_parallel); auto: from the cores and free memory, holding launches under the memory floor'),
      },
      outputSchema: { run_id: z.string(), run_dir: z.string(), task_card_id: z.string(), run_ref: z.string() },
    },
    guarded(async ({ title, goal, parallel_lanes, max_tokens, max_cost_usd, budget_action, max_parallel }) => {
      const budget = { ...(max_tokens === undefined ? {} : { maxTokens: max_tokens }), ...(max_cost_usd === undefined ? {} : { maxCostUsd: max_cost_usd }), ...(budget_action === undefined ? {} : { action: budget_action }) };
      const run = createRun({
        baseDir: runs.runsDir(),
        title,
        ...(goal === undefined ? {} : { goal }),
        ...(parallel_lanes === undefined ? {} : { parallelLanes: parallel_lanes }),
        ...(Object.keys(budget).length === 0 ? {} : { budget }),
        ...(max_parallel === undefined ? {} : { maxParallel: max_parallel }),
      });
      await runs.supervise(openRunContext(run.run_dir, runs.options.config));
      return answer(run, `Started run ${run.run_id}\nrun_dir: ${run.run_dir}\ntask_card_id: ${run.task_card_id}`);
    }),
  );

  server.registerTool(
    'captain_add_task',
    {
      title: 'Add a task card',
      description: "Add a task card to a run and make it the run's active one.",
      inputSchema: { run_dir: z.string().optional(), title: z.string().min(1).max(500), parallel_lanes: lanes },
      outputSchema: { task_card_id: z.string(), run_dir: z.string() },
    },
    guarded(async ({ run_dir, title, parallel_lanes }) => {
      const ctx = await runs.open(run_dir);
      const card = await addTaskCard(ctx.runDir, { title, ...(parallel_lanes === undefined ? {} : { parallelLanes: parallel_lanes }) });
      return answer({ task_card_id: card.task_card_id, run_dir: ctx.runDir }, `Added task card ${card.task_card_id} (now active)`);
    }),
  );

  server.registerTool(
    'captain_list_runs',
    {
      title: 'List runs',
      description:
        "The runs of the workspace (<workspace>/.captain/runs), newest first: outcome (running, fanned_in, failed, idle; unreadable with its error), workers by state (each counted once), age, tokens, cost. Judged from the records as persisted: nothing is refreshed or written. Pass a run_dir from here to the other tools.",
      inputSchema: {
        workspace: z.string().optional().describe("the folder holding .captain/ (default: the server's workspace, else the nearest one from the server's working directory up)"),
        limit: z.number().int().min(1).max(500).optional().describe(`at most this many runs, newest first (default ${LIST_RUNS_DEFAULT_LIMIT})`),
      },
      outputSchema: { workspace: z.string(), runs_dir: z.string(), runs: z.array(runRow), runs_omitted: z.number() },
    },
    guarded(async ({ workspace, limit }) => {
      const given = workspace === undefined ? runs.options.workspace : runs.insideWorkspace(workspace, 'workspace');
      const list = listRuns({ config: runs.options.config, ...(given === undefined ? { cwd: process.cwd() } : { workspace: given }) });
      const shown = list.runs.slice(0, limit ?? LIST_RUNS_DEFAULT_LIMIT);
      const lines = shown.map((r) => `- ${r.run_id} ${r.outcome}${r.error === null ? ` (${r.worker_count} workers)` : `: ${r.error}`}${r.title === null ? '' : ` "${r.title.slice(0, 80)}"`}\n  run_dir: ${r.run_dir}`);
      const text = shown.length === 0 ? `No runs in ${list.runs_dir}; captain_start_run creates one.` : `${list.runs.length} run(s) in ${list.runs_dir}, newest first:\n${lines.join('\n')}`;
      return answer({ ...list, runs: shown, runs_omitted: list.runs.length - shown.length }, text);
    }),
  );
};
