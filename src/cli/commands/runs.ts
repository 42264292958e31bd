import { Command, Option } from 'commander';
import { addTaskCard, createRun, DEFAULT_RUNS_DIR, listRuns } from '../../ops/runs.js';
import { openRunDir } from '../../store/run-dir.js';
import { setWorktreePolicy } from '../../ops/worktrees.js';
import { printJson, printText } from '../output.js';

const lanes = (value: string): string[] => value.split(',');

export const startCommand = (): Command =>
  new Command('start')
    .description(`create a run (default: ${DEFAULT_RUNS_DIR}/<run_id>/ under the current directory) with a first task card`)
    .requiredOption('--title <text>', 'what the run is for; also the first task card title')
    .option('--goal <text>', 'a longer goal (default: the title)')
    .option('--run-dir <dir>', 'create the run exactly here instead')
    .addOption(new Option('--parallel-lanes <ids>', 'declare a parallel fan-out gate on the first task card: comma-separated lane ids').argParser(lanes))
    .option('--worktrees', 'run every worker of this run in its own git worktree (run.json `worktrees: true`)')
    .addOption(new Option('--worktree-cleanup <when>', '`after_apply`: remove a worker’s worktree once `captain apply` merged its work').choices(['after_apply', 'never']))
    .option('--json', 'print JSON')
    .action(async (options: { title: string; goal?: string; runDir?: string; parallelLanes?: string[]; json?: boolean; worktrees?: boolean; worktreeCleanup?: 'after_apply' | 'never' }) => {
      const run = createRun({
        title: options.title,
        ...(options.goal === undefined ? {} : { goal: options.goal }),
        ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
        ...(options.parallelLanes === undefined ? {} : { parallelLanes: options.parallelLanes }),
      });
      if (options.worktrees !== undefined || options.worktreeCleanup !== undefined) {
        await setWorktreePolicy(run.run_dir, { ...(options.worktrees === undefined ? {} : { worktrees: options.worktrees }), ...(options.worktreeCleanup === undefined ? {} : { worktreeCleanup: options.worktreeCleanup }) });
      }
      if (options.json) return printJson(run);
      printText(`run ${run.run_id}\n  run dir:   ${run.run_dir}\n  task card: ${run.task_card_id}\nnext: captain delegate --run-dir ${run.run_dir} --kind codex --prompt "..."`);
    });

export const taskCommand = (): Command =>
  new Command('task')
    .description("add a task card to a run and make it the run's active one")
    .requiredOption('--run-dir <dir>', 'the run directory')
    .requiredOption('--title <text>', 'what this task card is for')
    .addOption(new Option('--parallel-lanes <ids>', 'declare a parallel fan-out gate: comma-separated lane ids that each need a terminal worker before fan-in').argParser(lanes))
    .option('--json', 'print JSON')
    .action(async (options: { runDir: string; title: string; parallelLanes?: string[]; json?: boolean }) => {
      const { runDir } = openRunDir(options.runDir);
      const card = await addTaskCard(runDir, { title: options.title, ...(options.parallelLanes === undefined ? {} : { parallelLanes: options.parallelLanes }) });
      if (options.json) return printJson(card);
      printText(`task card ${card.task_card_id} (now active)`);
    });

export const runsCommand = (): Command =>
  new Command('runs')
    .description(`list the runs under ${DEFAULT_RUNS_DIR} (or --dir)`)
    .option('--dir <dir>', 'the folder holding runs', DEFAULT_RUNS_DIR)
    .option('--json', 'print JSON')
    .action((options: { dir: string; json?: boolean }) => {
      const runs = listRuns(options.dir);
      if (options.json) return printJson(runs);
      if (runs.length === 0) return printText(`no runs under ${options.dir}; start one with \`captain start --title ...\``);
      printText(runs.map((r) => `${r.run_id}  ${r.status ?? '-'}  ${r.created_at ?? '-'}  ${r.title ?? ''}\n  ${r.run_dir}`).join('\n'));
    });
