/** captain_reclaim and captain_fan_in. */
import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { collapseFanIn } from '../../ops/fan-in.js';
import { reclaimStuckWorkers } from '../../ops/reclaim.js';
import { answer, guarded, type McpRuns } from '../context.js';
import { isWorktreeReport, renderWorktreeReport } from '../../ops/worktree-fan-in.js';

export const registerControlTools = (server: McpServer, runs: McpRuns): void => {
  server.registerTool(
    'captain_reclaim',
    {
      title: 'Reclaim stuck workers',
      description: 'Kill the process group of every stale or timed-out worker of the task card and record it as reclaimed (dry_run: only list them).',
      inputSchema: { run_dir: z.string().optional(), task_card_id: z.string().optional(), dry_run: z.boolean().optional() },
      outputSchema: {
        task_card_id: z.string().nullable(),
        dry_run: z.boolean(),
        reclaimed: z.array(z.object({ delegation_id: z.unknown(), state: z.string(), process_id: z.number().nullable(), termination: z.string() })),
        errors: z.array(z.record(z.string(), z.unknown())),
      },
    },
    guarded(async ({ run_dir, task_card_id, dry_run }) => {
      const ctx = await runs.open(run_dir);
      const r = await reclaimStuckWorkers(ctx, { ...(task_card_id === undefined ? {} : { taskCardId: task_card_id }), dryRun: dry_run ?? false });
      const reclaimed = r.reclaimed.map((w) => ({ delegation_id: w.delegation_id, state: w.state, process_id: w.process_id, termination: w.termination }));
      return answer(
        { task_card_id: r.task_card_id, dry_run: r.dry_run, reclaimed, errors: r.errors },
        reclaimed.length === 0 ? 'No worker needs reclaim.' : reclaimed.map((w) => `${String(w.delegation_id)}: ${w.termination}`).join('\n'),
      );
    }),
  );

  server.registerTool(
    'captain_fan_in',
    {
      title: 'Collapse fan-in',
      description: "Collapse the task card's fan-in once every worker is terminal (idempotent); otherwise says who is still active.",
      inputSchema: { run_dir: z.string().optional(), task_card_id: z.string().optional(), summary: z.string().max(2_000).optional() },
      outputSchema: {
        task_card_id: z.string(),
        collapsed: z.boolean(),
        fan_in: z.record(z.string(), z.unknown()).nullable(),
        reason: z.string().nullable(),
        active_delegation_ids: z.array(z.string()),
        missing_lane_ids: z.array(z.string()),
        worktrees: z.record(z.string(), z.unknown()).optional().describe('with worktrees: per-worker diffstats, files touched by more than one worker, trial-merge conflicts'),
      },
    },
    guarded(async ({ run_dir, task_card_id, summary }) => {
      const ctx = await runs.open(run_dir);
      const r = await collapseFanIn(ctx, { ...(task_card_id === undefined ? {} : { taskCardId: task_card_id }), ...(summary === undefined ? {} : { orchestratorSummary: summary }), worktrees: true });
      const worktrees = isWorktreeReport(r.worktrees) ? r.worktrees : undefined;
      return answer(
        { task_card_id: r.task_card_id, collapsed: r.collapsed, fan_in: r.fan_in, reason: r.reason, active_delegation_ids: r.active_delegation_ids, missing_lane_ids: r.missing_lane_ids, ...(worktrees === undefined ? {} : { worktrees }) },
        [
          r.collapsed && r.fan_in ? String(r.fan_in.summary).trim() : `Not ready: ${String(r.reason)}${r.active_delegation_ids.length > 0 ? ` (${r.active_delegation_ids.join(', ')})` : ''}`,
          ...(worktrees === undefined ? [] : renderWorktreeReport(worktrees)),
        ].join('\n'),
      );
    }),
  );
};
