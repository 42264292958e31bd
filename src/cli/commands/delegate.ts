import { Command, Option } from 'commander';
import { delegate } from '../../ops/delegate.js';
import { CaptainError } from '../../errors.js';
import { WORKER_KINDS, type WorkerKind } from '../../lifecycle/kinds.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';

interface DelegateOptions extends CommonOptions {
  taskCard?: string;
  lane?: string;
  kind: WorkerKind;
  prompt?: string;
  sandbox?: string;
  cwd?: string;
  codexBin?: string;
  claudeBin?: string;
  stdin?: string;
  title?: string;
  env: string[];
  idempotencyKey?: string;
  maxParallel?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const parseEnv = (pairs: string[]): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CaptainError('USAGE', `--env ${pair}: expected NAME=VALUE`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
};

export const delegateCommand = (): Command =>
  withRunOptions(new Command('delegate'))
    .description('hand a task to a worker; returns at once while a detached monitor runs it')
    .addOption(new Option('--kind <kind>', WORKER_KINDS.join(' | ')).choices(WORKER_KINDS).makeOptionMandatory(true))
    .option('--prompt <text>', "the worker's task (codex, claude)")
    .option('--task-card <id>', "the task card (default: run.json's active one)")
    .option('--lane <id>', 'the parallel lane this worker covers')
    .option('--title <text>', 'a short label for the worker (default: the prompt)')
    .option('--sandbox <mode>', 'codex: read-only | workspace-write | danger-full-access')
    .option('--cwd <dir>', "the worker's working directory (default: the current one)")
    .option('--codex-bin <path>', 'the codex executable (default: codex on PATH, else the bundled one)')
    .option('--claude-bin <path>', 'the claude executable (default: claude on PATH, else the bundled one)')
    .option('--stdin <file>', "feed this file to the worker's stdin (default: stdin closed)")
    .option('--env <NAME=VALUE>', 'extra environment for the worker (repeatable)', collect, [])
    .option('--idempotency-key <key>', 'a retried call with the same key returns the first delegation')
    .option('--max-parallel <n>', 'launch only while fewer than N workers of the run run; else queue')
    .argument('[argv...]', 'command: the argv to run; codex/claude: extra flags passed through (after --)')
    .action(async (argv: string[], options: DelegateOptions) => {
      const ctx = contextFromOptions(options);
      const maxParallel = options.maxParallel === undefined ? undefined : Number(options.maxParallel);
      if (maxParallel !== undefined && (!Number.isSafeInteger(maxParallel) || maxParallel < 1)) {
        throw new CaptainError('USAGE', `--max-parallel ${options.maxParallel}: expected a positive integer`);
      }
      const bin = options.kind === 'codex' ? options.codexBin : options.kind === 'claude' ? options.claudeBin : undefined;
      const result = await delegate(ctx, {
        kind: options.kind,
        argv,
        env: parseEnv(options.env),
        ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
        ...(options.lane === undefined ? {} : { lane: options.lane }),
        ...(options.title === undefined ? {} : { title: options.title }),
        ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(bin === undefined ? {} : { bin }),
        ...(options.stdin === undefined ? {} : { stdinFile: options.stdin }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        ...(maxParallel === undefined ? {} : { maxParallel }),
      });
      if (options.json) return printJson(result);
      printText(`${result.reused ? 'already delegated' : result.state === 'queued' ? 'queued' : 'delegated'} ${result.delegation_id}\n  events: ${result.raw_events_file}\nnext: captain status --run-dir ${ctx.runDir}   |   captain logs --run-dir ${ctx.runDir} --delegation ${result.delegation_id} --follow`);
    });
