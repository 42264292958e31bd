import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { RUNTIME_CONFIG_FLAGS } from '../../config/index.js';
import { openRunContext, type RunContext } from '../../ops/context.js';
import { resolveWorkspace, scanRunFolders } from '../../ops/run-list.js';
import { workspaceRunsDir } from '../../store/workspace.js';
import { RUN_DIR_HELP, resolveConfigFromOptions, resolveRunDirOption, type CommonOptions } from '../common.js';
import { styleFor, textWidthFor } from '../output.js';

type TopOptions = CommonOptions & { all?: boolean; once?: boolean; workspace?: string };

/** The runs to show: `--all`: every readable run of the workspace (newest first); else the one run. */
const contextsFor = (options: TopOptions): RunContext[] => {
  const config = resolveConfigFromOptions(options);
  const open = (dir: string): RunContext => openRunContext(dir, config, { allowOutsidePaths: options.allowOutsidePaths ?? false });
  if (options.all !== true) return [open(resolveRunDirOption(options.runDir))];
  const workspace = resolveWorkspace(options.workspace === undefined ? { cwd: process.cwd() } : { workspace: options.workspace });
  return scanRunFolders(workspaceRunsDir(workspace)).filter((f) => f.run !== null).map((f) => open(f.run_dir));
};

export const topCommand = (): Command => {
  const command = new Command('top')
    .description('a live full-screen view of a run (or every run of the workspace): one row per worker with state, age against its thresholds, last event, usage, retries; plain lines when stdout is not a terminal')
    .option('--run-dir <dir>', RUN_DIR_HELP)
    .option('--all', 'every run of the workspace')
    .option('--workspace <dir>', 'with --all: the workspace (the folder holding .captain/) instead of searching from here up')
    .option('--once', 'print one plain snapshot and exit')
    .option('--config <file>', 'runtime config file (thresholds used to judge running workers)')
    .option('--allow-outside-paths', 'trust raw_events_file paths that resolve outside the run directory');
  // The thresholds a worker is judged by (and that `r` reclaims by), as for status.
  for (const flag of RUNTIME_CONFIG_FLAGS) command.option(flag.flags, flag.description);
  return command.action(async (options: TopOptions) => {
      if (options.all === true && options.runDir !== undefined) throw new CaptainError('USAGE', '--all and --run-dir exclude each other: pick one');
      const contexts = contextsFor(options);
      if (options.once === true || process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
        // The TUI code is loaded only when used.
        const { runPlainTop } = await import('../../tui/plain-loop.js');
        return runPlainTop(contexts, { once: options.once === true, style: styleFor(), width: textWidthFor() });
      }
      const { runInteractiveTop } = await import('../../tui/app.js');
      await runInteractiveTop(contexts);
    })
};
