import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { readFailureReasons } from '../../ops/failure-reasons.js';
import { getStatusAsync, getStatusDocument } from '../../ops/status.js';
import { statusViewKey } from '../../ops/status-view-cache.js';
import { openRecordCache } from '../../store/record-cache.js';
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
      // Unchanged delegation files come from the run's record cache (CAPTAIN_NO_RECORD_CACHE=1: read them all), finished workers as their derived view.
      // --snapshot writes nothing: it only reads the cache.
      const recordCache = process.env['CAPTAIN_NO_RECORD_CACHE'] === '1' ? undefined : openRecordCache(ctx.runDir, { viewKey: statusViewKey(ctx.config), readOnly: request.snapshot });
      const withCache = recordCache === undefined ? request : { ...request, recordCache };
      try {
        // JSON: each worker is serialized in its slice and printed as that text.
        if (options.json) await printJsonDocument(await getStatusDocument(ctx, withCache));
        else {
          const status = await getStatusAsync(ctx, withCache);
          const reasons = readFailureReasons(ctx, failedWorkerIds(status));
          printText(renderStatusText(status, styleFor(), { width: textWidthFor(), nowMs: ctx.now(), reasons, allCards: request.allCards }));
        }
      } catch (error) {
        recordCache?.discard();
        throw error;
      }
      // After the answer is out: rewritten only when enough changed (never for --snapshot).
      if (request.snapshot) recordCache?.discard();
      else recordCache?.save();
    });
