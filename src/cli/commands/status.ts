import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { readFailureReasons } from '../../ops/failure-reasons.js';
import { getStatusAsync, getStatusDocument } from '../../ops/status.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJsonDocument, printText, styleFor, textWidthFor } from '../output.js';
import { failedWorkerIds, renderStatusText } from '../render/status-text.js';

export const statusCommand = (): Command =>
  withRunOptions(new Command('status'))
    .description('show every worker of a task card: derived state, progress age, thresholds, reclaim plan')
    .option('--task-card <id>', "the task card (default: run.json's active_task_card_id; none: every task card)")
    .option('--all-cards', 'every task card of the run (JSON: `task_cards`)')
    .option('--snapshot', "the seed's snapshot: derive from the records as persisted; no heartbeat refresh, nothing read beyond the records, nothing written")
    .action(async (options: CommonOptions & { taskCard?: string; allCards?: boolean; snapshot?: boolean }) => {
      if (options.allCards && options.taskCard !== undefined) throw new CaptainError('USAGE', '--all-cards and --task-card exclude each other: pick one');
      const ctx = contextFromOptions(options);
      const request = {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        snapshot: options.snapshot ?? false,
        allCards: options.allCards ?? false,
      };
      // JSON: each worker is serialized in its slice and printed as that text.
      if (options.json) return printJsonDocument(await getStatusDocument(ctx, request));
      const status = await getStatusAsync(ctx, request);
      const reasons = readFailureReasons(ctx, failedWorkerIds(status));
      printText(renderStatusText(status, styleFor(), { width: textWidthFor(), nowMs: ctx.now(), reasons, allCards: request.allCards }));
    });
