import { Command } from 'commander';
import { basename } from 'node:path';
import { cancelDelegation, findDelegation, getWorkerResult, readWorkerEvents } from '../../ops/worker.js';
import { childStatusOf } from '../../lifecycle/derive.js';
import { isTerminalChildStatus } from '../../lifecycle/states.js';
import { resolveRawEventsFile } from '../../store/paths.js';
import { watchRun } from '../../store/watch-run.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';

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

export const resultCommand = (): Command =>
  withRunOptions(new Command('result'))
    .description("one worker's parsed result: status, summary, final message, thread or session id, usage, cost, failure reason")
    .requiredOption('--delegation <id>', 'the delegation')
    .action((options: WorkerOptions) => {
      const result = getWorkerResult(contextFromOptions(options), options.delegation);
      if (options.json) return printJson(result);
      const lines = [
        `${result.delegation_id} (${result.kind}): ${result.status}${result.state ? ` / ${String(result.state)}` : ''}`,
        `summary: ${String(result.summary ?? '-')}`,
        ...(result.failure_reason ? [`failure: ${String(result.failure_reason)}`] : []),
        ...(result.thread_id ? [`thread: ${String(result.thread_id)}`] : []),
        ...(result.session_id ? [`session: ${String(result.session_id)}`] : []),
        ...(result.usage ? [`usage: ${JSON.stringify(result.usage)}`] : []),
        ...(result.cost_usd !== null ? [`cost: $${String(result.cost_usd)}`] : []),
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
