import { Command } from 'commander';
import { getStatus } from '../../ops/status.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printLargeJson, printText, styleFor } from '../output.js';
import { renderStatusText } from '../render/status-text.js';

export const statusCommand = (): Command =>
  withRunOptions(new Command('status'))
    .description('show every worker of a task card: derived state, progress age, thresholds, reclaim plan')
    .option('--task-card <id>', "the task card (default: run.json's active_task_card_id; none: every task card)")
    .option('--snapshot', 'derive from the records as they are: no heartbeat refresh, nothing written')
    .action(async (options: CommonOptions & { taskCard?: string; snapshot?: boolean }) => {
      const ctx = contextFromOptions(options);
      const status = getStatus(ctx, {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        snapshot: options.snapshot ?? false,
      });
      if (options.json) await printLargeJson(status);
      else printText(renderStatusText(status, styleFor()));
    });
