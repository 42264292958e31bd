import { Command, Option } from 'commander';
import { agentKinds, kindSpec, kindsHelp, promptKindNames, sandboxModes } from '../../kinds/registry.js';
import { WORKER_KINDS, type WorkerKind } from '../../lifecycle/kinds.js';
import { delegate } from '../../ops/delegate.js';
import { followUp } from '../../ops/follow-up.js';
import { findDelegation } from '../../ops/worker.js';
import { workerKindOf } from '../../ops/worker-kind.js';
import { CaptainError } from '../../errors.js';
import { contextFromOptions, MAX_PARALLEL_HELP, parseMaxParallel, withRunOptions, type CommonOptions } from '../common.js';
import { printJson, printText } from '../output.js';

interface DelegateOptions extends CommonOptions {
  taskCard?: string;
  lane?: string;
  kind: WorkerKind;
  prompt?: string;
  sandbox?: string;
  cwd?: string;
  /** `--<kind>-bin` values, keyed by commander's camel-cased name (`codexBin`). */
  [binKey: `${string}Bin`]: string | undefined;
  stdin?: string;
  title?: string;
  env: string[];
  idempotencyKey?: string;
  maxParallel?: string;
  worktree?: boolean;
  base?: string;
  worktreeOf?: string;
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

/** The `--<kind>-bin` value given for `kind` (commander keys it camel-cased: `--codex-bin` → `codexBin`). */
const binOptionOf = (options: DelegateOptions, kind: WorkerKind): string | undefined => {
  const flag = kindSpec(kind).binary?.flag;
  if (flag === undefined) return undefined;
  return options[flag.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()) as `${string}Bin`];
};

/** One `--<kind>-bin <path>` option per agent kind of the registry. */
const withBinOptions = (command: Command): Command => {
  for (const spec of agentKinds()) {
    command.option(`${spec.binary.flag} <path>`, `the ${spec.binary.executable} executable (default: ${spec.binary.executable} on PATH, else the bundled one)`);
  }
  return command;
};

export const delegateCommand = (): Command =>
  withBinOptions(
    withRunOptions(new Command('delegate'))
    .description('hand a task to a worker; returns at once while a detached monitor runs it')
    .addOption(new Option('--kind <kind>', kindsHelp()).choices(WORKER_KINDS).makeOptionMandatory(true))
    .option('--prompt <text>', `the worker's task (${promptKindNames()})`)
    .option('--task-card <id>', "the task card (default: run.json's active one)")
    .option('--lane <id>', 'the parallel lane this worker covers')
    .option('--title <text>', 'a short label for the worker (default: the prompt)')
    .option('--sandbox <mode>', `codex: ${sandboxModes().join(' | ')}`)
    .option('--cwd <dir>', "the worker's working directory (default: the current one)"),
  )
    .option('--stdin <file>', "feed this file to the worker's stdin (default: stdin closed)")
    .option('--env <NAME=VALUE>', 'extra environment for the worker (repeatable)', collect, [])
    .option('--idempotency-key <key>', 'a retried call with the same key returns the first delegation')
    .option('--max-parallel <n|auto>', MAX_PARALLEL_HELP)
    .option('--worktree', 'run the worker in a git worktree of its own, on a new branch captain/<run>/<delegation> (the cwd must be in a git checkout)')
    .option('--base <ref>', 'with --worktree: the commit the branch starts from (default: HEAD)')
    .option('--worktree-of <id>', 'a follow-up: run in the worktree of that finished delegation, continuing its branch')
    .argument('[argv...]', `command: the argv to run; ${promptKindNames()}: extra flags passed through (after --)`)
    .action(async (argv: string[], options: DelegateOptions) => {
      const ctx = contextFromOptions(options);
      const maxParallel = parseMaxParallel(options.maxParallel);
      const bin = binOptionOf(options, options.kind);
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
        ...(options.worktree === undefined ? {} : { worktree: options.worktree }),
        ...(options.base === undefined ? {} : { base: options.base }),
        ...(options.worktreeOf === undefined ? {} : { worktreeOf: options.worktreeOf }),
      });
      if (options.json) return printJson(result);
      printText(`${result.reused ? 'already delegated' : result.state === 'queued' ? 'queued' : 'delegated'} ${result.delegation_id}\n  events: ${result.raw_events_file}\nnext: captain status --run-dir ${ctx.runDir}   |   captain logs --run-dir ${ctx.runDir} --delegation ${result.delegation_id} --follow`);
    });

interface FollowUpOptions extends CommonOptions {
  delegation: string;
  prompt: string;
  title?: string;
  env: string[];
  idempotencyKey?: string;
  maxParallel?: string;
  [binKey: `${string}Bin`]: string | undefined;
}

export const followUpCommand = (): Command =>
  withBinOptions(
    withRunOptions(new Command('follow-up'))
      .description("continue a finished worker's conversation with a new prompt: a new delegation that resumes its thread / session (codex exec resume, claude --resume, gemini --resume) in the same cwd or worktree")
      .requiredOption('--delegation <id>', 'the finished delegation to continue')
      .requiredOption('--prompt <text>', 'the next message to the worker')
      .option('--title <text>', 'a short label for the follow-up (default: the prompt)'),
  )
    .option('--env <NAME=VALUE>', "extra environment over the earlier worker's (repeatable; secrets are not on disk: pass them again or have them in the environment)", collect, [])
    .option('--idempotency-key <key>', 'a retried call with the same key returns the first follow-up')
    .option('--max-parallel <n|auto>', MAX_PARALLEL_HELP)
    .argument('[argv...]', "extra CLI flags instead of the earlier worker's (after --)")
    .action(async (argv: string[], options: FollowUpOptions) => {
      const ctx = contextFromOptions(options);
      const maxParallel = parseMaxParallel(options.maxParallel);
      const bin = binOptionOf(options as unknown as DelegateOptions, workerKindOf(findDelegation(ctx, options.delegation).record));
      const result = await followUp(ctx, {
        delegationId: options.delegation,
        prompt: options.prompt,
        env: parseEnv(options.env),
        ...(argv.length === 0 ? {} : { argv }),
        ...(options.title === undefined ? {} : { title: options.title }),
        ...(bin === undefined ? {} : { bin }),
        ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
        ...(maxParallel === undefined ? {} : { maxParallel }),
      });
      if (options.json) return printJson(result);
      printText(`${result.reused ? 'already followed up' : result.state === 'queued' ? 'queued follow-up' : 'followed up'} ${result.follow_up_of} → ${result.delegation_id} (resumes ${result.resumed_session_id})\n  events: ${result.raw_events_file}\nnext: captain wait --run-dir ${ctx.runDir}   |   captain result --run-dir ${ctx.runDir} --delegation ${result.delegation_id}`);
    });
