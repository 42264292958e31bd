import { Command } from 'commander';
import { reclaimStuckWorkers } from '../../ops/reclaim.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';

export const reclaimCommand = (): Command =>
  withRunOptions(new Command('reclaim'))
    .description('terminate the process group of every stale or timed-out worker and record it as reclaimed')
    .option('--task-card <id>', "the task card (default: run.json's active_task_card_id)")
    .option('--dry-run', 'list what would be reclaimed; signal and write nothing')
    .action(async (options: CommonOptions & { taskCard?: string; dryRun?: boolean }) => {
      const ctx = contextFromOptions(options);
      const result = await reclaimStuckWorkers(ctx, {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        dryRun: options.dryRun ?? false,
      });
      if (options.json) return printJson(result);
      if (result.task_card_id === null) return printText('no active task card in run.json; pass --task-card ID');
      const lines = result.reclaimed.map(
        (r) => `${result.dry_run ? 'would reclaim' : 'reclaimed'} ${String(r.delegation_id)} (${r.state}, pid ${r.process_id ?? 'unknown'}): ${result.dry_run ? r.summary : r.termination}${r.survivors.length > 0 ? `; STILL ALIVE: ${r.survivors.join(', ')}` : ''}`,
      );
      if (lines.length === 0) lines.push(`no worker of task card ${result.task_card_id} needs reclaim`);
      for (const e of result.errors) lines.push(`warning: skipped ${e.path}: ${e.reason}`);
      printText(lines.join('\n'));
    });
