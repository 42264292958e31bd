import { Command } from 'commander';
import { getStatusAsync, getStatusDocument } from '../../ops/status.js';
import { openRecordCache } from '../../store/record-cache.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJsonDocument, printText, styleFor } from '../output.js';
import { renderStatusText } from '../render/status-text.js';

export const statusCommand = (): Command =>
  withRunOptions(new Command('status'))
    .description('show every worker of a task card: derived state, progress age, thresholds, reclaim plan')
    .option('--task-card <id>', "the task card (default: run.json's active_task_card_id; none: every task card)")
    .option('--snapshot', "the seed's snapshot: derive from the records as persisted; no heartbeat refresh, nothing read beyond the records, nothing written")
    .action(async (options: CommonOptions & { taskCard?: string; snapshot?: boolean }) => {
      const ctx = contextFromOptions(options);
      const request = { ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }), snapshot: options.snapshot ?? false };
      // Unchanged delegation files come from the run's record cache (CAPTAIN_NO_RECORD_CACHE=1: read them all).
      const recordCache = process.env['CAPTAIN_NO_RECORD_CACHE'] === '1' ? undefined : openRecordCache(ctx.runDir);
      const withCache = recordCache === undefined ? request : { ...request, recordCache };
      try {
        // JSON: each worker is serialized in its slice and printed as that text.
        if (options.json) await printJsonDocument(await getStatusDocument(ctx, withCache));
        else printText(renderStatusText(await getStatusAsync(ctx, withCache), styleFor()));
      } catch (error) {
        recordCache?.discard();
        throw error;
      }
      // After the answer is out: rewritten only when enough changed.
      recordCache?.save();
    });
