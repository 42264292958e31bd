import { Command } from 'commander';
import { basename } from 'node:path';
import { cancelDelegation, findDelegation, getWorkerResult, readWorkerEvents, type WorkerResultView } from '../../ops/worker.js';
import { formatUsd, PRICES_AS_OF } from '../../kinds/prices.js';
import { childStatusOf } from '../../lifecycle/derive.js';
import { isTerminalChildStatus } from '../../lifecycle/states.js';
import { resolveRawEventsFile } from '../../store/paths.js';
import { watchRun } from '../../store/watch-run.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';
import { collectWorktree } from '../../worktree/collect.js';
import { renderWorktreeLine } from '../render/worktree-text.js';

type WorkerOptions = CommonOptions & { delegation: string };

export const cancelCommand = (): Command =>
  withRunOptions(new Command('cancel'))
    .description("stop a worker on purpose: kill its whole process group and record it as cancelled")
    .requiredOption('--delegation <id>', 'the delegation to cancel')
    .option('--reason <text>', 'why (recorded)', 'cancelled by the captain')
    .action(async (options: WorkerOptions & { reason: string }) => {
      const result = await cancelDelegation(contextFromOptions(options), options.delegation, options.reason);
      if (options.json) return printJson(result);
      printText(
        result.cancelled
          ? `cancelled ${result.delegation_id} (${result.termination})${result.survivors.length > 0 ? `; STILL ALIVE: ${result.survivors.join(', ')}` : ''}`
          : `${result.delegation_id} had already ended (${result.status}); nothing to cancel`,
      );
    });

/** "cost: $0.012 (priced, prices of 2025-10-15)", "cost: unknown (model gpt-5.5 not in the price table)". */
const costLines = (result: WorkerResultView): string[] => {
  if (typeof result.cost_usd === 'number') {
    return [`cost: ${formatUsd(result.cost_usd)}${result.cost_source === 'priced' ? ` (priced from list prices of ${PRICES_AS_OF})` : ''}`];
  }
  if (result.cost_source !== 'unknown') return [];
  const models = Array.isArray(result.cost_unknown_models) ? result.cost_unknown_models.map(String).join(', ') : '';
  return [`cost: unknown${models !== '' ? ` (${models}: no price)` : ''}`];
};

export const resultCommand = (): Command =>
  withRunOptions(new Command('result'))
    .description("one worker's parsed result: status, summary, final message, thread or session id, usage, cost, failure reason")
    .requiredOption('--delegation <id>', 'the delegation')
    .action(async (options: WorkerOptions) => {
      const ctx = contextFromOptions(options);
      // A finished worker with a worktree: its work is collected first, so the diffstat is there.
      const { path } = findDelegation(ctx, options.delegation);
      await collectWorktree(ctx, path).catch(() => undefined);
      const result = getWorkerResult(ctx, options.delegation);
      if (options.json) return printJson(result);
      const lines = [
        `${result.delegation_id} (${result.kind}): ${result.status}${result.state ? ` / ${String(result.state)}` : ''}`,
        `summary: ${String(result.summary ?? '-')}`,
        ...(result.failure_reason ? [`failure: ${String(result.failure_reason)}`] : []),
        ...(result.thread_id ? [`thread: ${String(result.thread_id)}`] : []),
        ...(result.session_id ? [`session: ${String(result.session_id)}`] : []),
        ...(result.usage ? [`usage: ${JSON.stringify(result.usage)}`] : []),
        ...costLines(result),
        ...(result.worktree ? [`worktree: ${renderWorktreeLine(result)}`] : []),
        ...(result.final_message ? ['final message:', String(result.final_message)] : []),
      ];
      printText(lines.join('\n'));
    });

export const logsCommand = (): Command =>
  withRunOptions(new Command('logs'))
    .description("a worker's events, human-readable (messages, commands run, errors, usage)")
    .requiredOption('--delegation <id>', 'the delegation')
    .option('-f, --follow', 'keep printing new events until the worker ends')
    .action(async (options: WorkerOptions & { follow?: boolean }) => {
      const ctx = contextFromOptions(options);
      let cursor = 0;
      const drain = (): void => {
        for (;;) {
          const page = readWorkerEvents(ctx, options.delegation, cursor, { limit: 500, maxBytes: 1024 * 1024 });
          for (const event of page.events) {
            if (options.json) printJson(event);
            else printText(event.text);
          }
          const moved = page.next_cursor !== cursor;
          cursor = page.next_cursor;
          if (!page.more || !moved) return;
        }
      };
      drain();
      if (!options.follow) return;
      const { path, record } = findDelegation(ctx, options.delegation);
      const raw = resolveRawEventsFile(ctx.runDir, record, { allowOutside: ctx.allowOutsidePaths, recordPath: path });
      // The record (to see the worker end; it is replaced by rename, so watched through its folder)
      // and the raw events file (appended in place, wherever the record says it is).
      const fileId = basename(path, '.json');
      const watch = watchRun(ctx.runDir, { records: true, rawEvents: false, files: [raw] });
      try {
        while (!isTerminalChildStatus(childStatusOf(findDelegation(ctx, options.delegation).record))) {
          for (;;) {
            const changes = await watch.batch();
            if (watch.closed || changes.some((c) => c.kind === 'file' || (c.kind === 'records' && (c.ids === undefined || c.ids.includes(fileId))))) break;
          }
          drain();
        }
        drain();
      } finally {
        watch.close();
      }
    });
