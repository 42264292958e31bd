import { Command } from 'commander';
import { collapseFanIn } from '../../ops/fan-in.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';
import { isWorktreeReport, renderWorktreeReport } from '../render/worktree-text.js';

export const fanInCommand = (): Command =>
  withRunOptions(new Command('fan-in'))
    .description('collapse fan-in once every worker of the task card is terminal (idempotent)')
    .option('--task-card <id>', "the task card (default: run.json's active_task_card_id)")
    .option('--summary <text>', "the orchestrator's summary appended to the fan-in summary", '')
    .action(async (options: CommonOptions & { taskCard?: string; summary: string }) => {
      const ctx = contextFromOptions(options);
      const result = await collapseFanIn(ctx, {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        orchestratorSummary: options.summary,
        worktrees: true,
      });
      if (options.json) return printJson(result);
      const lines = result.collapsed && result.fan_in
        ? [`fan-in collapsed at ${String(result.fan_in.collapsed_at)}: ${String(result.fan_in.summary).trim()}`]
        : [
            `not ready: ${result.reason ?? 'unknown'}`,
            ...(result.active_delegation_ids.length > 0 ? [`still active: ${result.active_delegation_ids.join(', ')}`] : []),
            ...(result.missing_lane_ids.length > 0 ? [`lanes without a terminal worker: ${result.missing_lane_ids.join(', ')}`] : []),
            'next: captain status, or captain reclaim for stuck workers',
          ];
      if (isWorktreeReport(result.worktrees)) lines.push(...renderWorktreeReport(result.worktrees));
      for (const e of result.errors) lines.push(`warning: skipped ${e.path}: ${e.reason}`);
      printText(lines.join('\n'));
    });
