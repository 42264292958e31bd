/**
 * Options every run command shares (run dir, config sources, path policy, output mode), declared
 * once and turned into a RunContext here, so commands stay thin.
 */
import { Command, Option } from 'commander';
import { CaptainError } from '../errors.js';
import { RUNTIME_CONFIG_FLAGS, resolveRuntimeConfig } from '../config/index.js';
import { loadHooks, type HookDefinition } from '../hooks/config.js';
import { HOOK_EVENTS } from '../hooks/events.js';
import { openRunContext, type RunContext } from '../ops/context.js';
import { latestRun } from '../ops/run-list.js';

export interface CommonOptions {
  runDir?: string;
  config?: string;
  allowOutsidePaths?: boolean;
  json?: boolean;
  [flag: string]: unknown;
}

export const RUN_DIR_HELP = 'the run directory (or an upstream run_ref `ccc-run:<dir>`); default: the latest run of the workspace (the nearest .captain/ from here up)';

/** Adds --run-dir, --config, --allow-outside-paths, --json and one flag per runtime config key. */
export const withRunOptions = (command: Command, opts: { runDirRequired?: boolean } = {}): Command => {
  const runDir = new Option('--run-dir <dir>', RUN_DIR_HELP);
  if (opts.runDirRequired ?? false) runDir.makeOptionMandatory(true);
  command
    .addOption(runDir)
    .option('--config <file>', 'runtime config file (.json or .toml; keys under [runtime] or at top level)')
    .option('--allow-outside-paths', 'trust raw_events_file paths that resolve outside the run directory')
    .option('--json', 'print JSON instead of text');
  for (const flag of RUNTIME_CONFIG_FLAGS) command.option(flag.flags, flag.description);
  return command;
};

/** The runtime config from every source, with the command's flags on top. */
export const resolveConfigFromOptions = (options: CommonOptions) => {
  const flags: Record<string, string> = {};
  for (const flag of RUNTIME_CONFIG_FLAGS) {
    const value = options[flag.attribute];
    if (typeof value === 'string') flags[flag.key] = value;
  }
  return resolveRuntimeConfig({ env: process.env, flags, ...(options.config === undefined ? {} : { configFile: options.config }) }).config;
};

/**
 * The run a command works on: `--run-dir` as given, else the latest run of the workspace found from
 * the working directory up, named on stderr (never on stdout, which may be JSON).
 * @throws CaptainError USAGE when no run is given and none can be found.
 */
export const resolveRunDirOption = (runDir: string | undefined, stderr: NodeJS.WritableStream = process.stderr): string => {
  if (runDir !== undefined) return runDir;
  const latest = latestRun({ cwd: process.cwd() });
  stderr.write(`using run ${latest.run_dir} (latest of ${latest.run_count} in ${latest.workspace})\n`);
  return latest.run_dir;
};

export const contextFromOptions = (options: CommonOptions): RunContext =>
  openRunContext(resolveRunDirOption(options.runDir), resolveConfigFromOptions(options), { allowOutsidePaths: options.allowOutsidePaths ?? false });

/** Adds `--hook EVENT=COMMAND` (repeatable) to a command that supervises. */
export const withHookOption = (command: Command): Command =>
  command.option(
    '--hook <event=command>',
    `run COMMAND (argv split on spaces, or a JSON array; no shell; the event as JSON on stdin) once per EVENT (${HOOK_EVENTS.join(', ')}; several: a,b=...); repeatable; adds to the [[hooks]] of --config and the user config`,
    (value: string, previous: string[] = []) => [...previous, value],
  );

/** Every hook: the user config's, `--config`'s and `--hook`'s. */
export const hooksFromOptions = (options: CommonOptions & { hook?: string[] }): HookDefinition[] =>
  loadHooks({ env: process.env, ...(options.config === undefined ? {} : { configFile: options.config }), hookFlags: options.hook ?? [] });

/** The help of `--max-parallel <n|auto>`. */
export const MAX_PARALLEL_HELP = 'launch at most N workers of the run at once, the rest wait queued; `auto`: N from the cores and free memory, holding launches while MemAvailable is under the floor (README: --max-parallel auto)';

/** `--max-parallel N|auto`. @throws CaptainError USAGE */
export const parseMaxParallel = (value: string | undefined): number | 'auto' | undefined => {
  if (value === undefined) return undefined;
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new CaptainError('USAGE', `--max-parallel ${value}: expected a positive integer or auto`);
  return n;
};
