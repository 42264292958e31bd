import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { waitForFanIn } from '../../ops/wait.js';
import { contextFromOptions, hooksFromOptions, MAX_PARALLEL_HELP, parseMaxParallel, withHookOption, withRunOptions, type CommonOptions } from '../common.js';
import { EXIT } from '../exit.js';
import { printJson, printText, styleFor } from '../output.js';
import { progressEnd, progressUpdate } from '../render/progress.js';
import { renderCountsLine } from '../render/status-text.js';
import { renderWaitResult } from '../render/wait-text.js';

export const waitCommand = (): Command =>
  withHookOption(withRunOptions(new Command('wait')))
    .description("wait for a task card's fan-in, showing live progress; then each worker's final message or failure reason. Supervises the run meanwhile if nothing else does")
    .option('--task-card <id>', "the task card (default: run.json's active one)")
    .option('--timeout <seconds>', 'give up after this many seconds (exit 4)')
    .option('--max-parallel <n|auto>', `when it supervises: ${MAX_PARALLEL_HELP}`)
    .action(async (options: CommonOptions & { taskCard?: string; timeout?: string; hook?: string[]; maxParallel?: string }) => {
      const ctx = contextFromOptions(options);
      const hooks = hooksFromOptions(options);
      const maxParallel = parseMaxParallel(options.maxParallel);
      const timeoutS = options.timeout === undefined ? undefined : Number(options.timeout);
      if (timeoutS !== undefined && !(Number.isFinite(timeoutS) && timeoutS > 0)) throw new CaptainError('USAGE', `--timeout ${options.timeout}: expected a positive number of seconds`);
      const terminal = { tty: Boolean(process.stdout.isTTY) && !options.json, columns: process.stdout.columns };
      let last = '';
      let shown = false;
      const result = await waitForFanIn(ctx, {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        ...(timeoutS === undefined ? {} : { timeoutMs: timeoutS * 1000 }),
        supervisorOptions: { hooks, ...(maxParallel === undefined ? {} : { maxParallel }) },
        onProgress: (status) => {
          if (options.json) return;
          const line = renderCountsLine(status.worker_visibility ?? undefined);
          if (line === last) return;
          last = line;
          shown = true;
          process.stdout.write(progressUpdate(line, terminal));
        },
      });
      if (shown) process.stdout.write(progressEnd(terminal));
      if (options.json) printJson(result);
      else printText(renderWaitResult(result, ctx.runDir, styleFor()));
      process.exitCode = result.outcome === 'completed' ? EXIT.ok : result.outcome === 'failed' ? EXIT.workersFailed : EXIT.timeout;
    });
