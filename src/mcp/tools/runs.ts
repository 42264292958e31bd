/** captain_start_run, captain_add_task. */
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { openRunContext } from '../../ops/context.js';
import { addTaskCard, createRun } from '../../ops/runs.js';
import { answer, guarded, type McpRuns } from '../context.js';

const lanes = z.array(z.string().min(1)).max(16).optional().describe('declare a parallel fan-out gate: lane ids that each need a terminal worker before fan-in');

export const registerRunTools = (server: McpServer, runs: McpRuns): void => {
  server.registerTool(
    'captain_start_run',
    {
      title: 'Start a run',
      description: 'Create a run (a folder of records) with a first task card. Returns run_dir and task_card_id for the other tools.',
      inputSchema: { title: z.string().min(1).max(500), goal: z.string().max(4000).optional(), parallel_lanes: lanes },
      outputSchema: { run_id: z.string(), run_dir: z.string(), task_card_id: z.string(), run_ref: z.string() },
    },
    guarded(async ({ title, goal, parallel_lanes }) => {
      const run = createRun({ baseDir: runs.runsDir(), title, ...(goal === undefined ? {} : { goal }), ...(parallel_lanes === undefined ? {} : { parallelLanes: parallel_lanes }) });
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
};
