import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { waitForFanIn } from '../../ops/wait.js';
import { contextFromOptions, hooksFromOptions, withHookOption, withRunOptions, type CommonOptions } from '../common.js';
import { EXIT } from '../exit.js';
import { printJson, printText } from '../output.js';
import { renderCountsLine } from '../render/status-text.js';


export const waitCommand = (): Command =>
  withHookOption(withRunOptions(new Command('wait')))
    .description("wait for a task card's fan-in, showing live progress; supervises the run meanwhile if nothing else does")
    .option('--task-card <id>', "the task card (default: run.json's active one)")
    .option('--timeout <seconds>', 'give up after this many seconds (exit 4)')
    .action(async (options: CommonOptions & { taskCard?: string; timeout?: string; hook?: string[] }) => {
      const ctx = contextFromOptions(options);
      const hooks = hooksFromOptions(options);
      const timeoutS = options.timeout === undefined ? undefined : Number(options.timeout);
      if (timeoutS !== undefined && !(Number.isFinite(timeoutS) && timeoutS > 0)) throw new CaptainError('USAGE', `--timeout ${options.timeout}: expected a positive number of seconds`);
      const tty = Boolean(process.stdout.isTTY) && !options.json;
      let last = '';
      const result = await waitForFanIn(ctx, {
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        ...(timeoutS === undefined ? {} : { timeoutMs: timeoutS * 1000 }),
        supervisorOptions: { hooks },
        onProgress: (status) => {
          if (options.json) return;
          const line = renderCountsLine(status.worker_visibility ?? undefined);
          if (line === last) return;
          last = line;
          if (tty) process.stdout.write(`\r\u001b[2K${line}`);
          else printText(line);
        },
      });
      if (tty) process.stdout.write('\n');
      if (options.json) printJson(result);
      else if (result.outcome === 'timeout') printText(`timed out before fan-in (${result.completed} completed, ${result.failed} failed, ${result.cancelled} cancelled so far); next: captain status --run-dir ${ctx.runDir}`);
      else printText(`fan-in collapsed at ${String(result.fan_in_collapsed_at)}: ${result.completed} completed, ${result.failed} failed, ${result.cancelled} cancelled`);
      if (!options.json) {
        for (const w of result.workers) {
          printText(`  ${w.delegation_id}  ${w.state}${w.attempt > 1 ? ` (attempt ${w.attempt})` : ''}${w.summary === null ? '' : `  ${w.summary.replace(/\s+/g, ' ').slice(0, 120)}`}`);
        }
      }
      process.exitCode = result.outcome === 'completed' ? EXIT.ok : result.outcome === 'failed' ? EXIT.workersFailed : EXIT.timeout;
    });
