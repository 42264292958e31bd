import { Command, Option } from 'commander';
import { addTaskCard, createRun, DEFAULT_RUNS_DIR } from '../../ops/runs.js';
import { listRuns } from '../../ops/run-list.js';
import { openRunDir } from '../../store/run-dir.js';
import { findWorkspace, workspaceRunsDir } from '../../store/workspace.js';
import { RUN_DIR_HELP, resolveConfigFromOptions, resolveRunDirOption } from '../common.js';
import { printJson, printText, styleFor, textWidthFor } from '../output.js';
import { renderRunsText } from '../render/runs-text.js';
import { setWorktreePolicy } from '../../ops/worktrees.js';
import { BUDGET_ACTIONS, type BudgetAction } from '../../lifecycle/budget.js';
import { checkBudgetChange, getBudget, setBudget, type BudgetChange } from '../../ops/budget.js';
import { CaptainError } from '../../errors.js';
import { contextFromOptions, MAX_PARALLEL_HELP, parseMaxParallel, withRunOptions, type CommonOptions } from '../common.js';

const lanes = (value: string): string[] => value.split(',');

interface BudgetOptions {
  maxTokens?: string;
  maxCostUsd?: string;
  budgetAction?: BudgetAction;
}

/** `--max-tokens N|none`, `--max-cost-usd X|none`, `--budget-action A` as a change (checked by the op). */
const budgetChangeOf = (options: BudgetOptions): BudgetChange => {
  const limit = (flag: string, raw: string | undefined): number | null | undefined => {
    if (raw === undefined) return undefined;
    if (raw === 'none') return null;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new CaptainError('USAGE', `${flag} ${raw}: expected a number (or "none")`);
    return value;
  };
  const maxTokens = limit('--max-tokens', options.maxTokens);
  const maxCostUsd = limit('--max-cost-usd', options.maxCostUsd);
  return checkBudgetChange({
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
    ...(options.budgetAction === undefined ? {} : { action: options.budgetAction }),
  });
};

export const budgetCommand = (): Command =>
  withRunOptions(new Command('budget'))
    .description("show the run's budget and usage, or change it (a running supervisor picks the change up on its next pass)")
    .option('--max-tokens <n>', 'token limit of the run ("none" removes it)')
    .option('--max-cost-usd <x>', 'dollar limit of the run, known costs only ("none" removes it)')
    .addOption(new Option('--budget-action <action>', 'when reached: hold (running workers finish) or cancel (they are cancelled)').choices([...BUDGET_ACTIONS]))
    .action(async (options: CommonOptions & BudgetOptions) => {
      const ctx = contextFromOptions(options);
      const change = budgetChangeOf(options);
      const report = Object.keys(change).length === 0 ? getBudget(ctx) : await setBudget(ctx, change);
      if (options.json) return printJson(report);
      const limit = (value: number | null, unit: (v: number) => string): string => (value === null ? 'none' : unit(value));
      printText(
        [
          `budget: max_tokens ${limit(report.max_tokens, String)}, max_cost_usd ${limit(report.max_cost_usd, (v) => `$${v}`)}, action ${report.budget_action}`,
          `used:   ${report.total_tokens} tokens, ${report.cost_usd === null ? 'no known cost' : `$${report.cost_usd}`}${report.cost_unknown_workers > 0 ? ` (+ ${report.cost_unknown_workers} worker(s) of unknown cost)` : ''}`,
          report.exceeded ? `REACHED: ${String(report.reason)}; no new launches${report.budget_action === 'cancel' ? ', running workers cancelled' : ''}` : 'not reached',
          ...(report.cost_partly_unknown ? ['warning: some workers have no known price; the cost budget counts only known costs and may be passed unseen'] : []),
        ].join('\n'),
      );
    });

export const startCommand = (): Command =>
  new Command('start')
    .description(`create a run (default: ${DEFAULT_RUNS_DIR}/<run_id>/ in the workspace: the nearest folder from here up holding .captain/, else here) with a first task card`)
    .requiredOption('--title <text>', 'what the run is for; also the first task card title')
    .option('--goal <text>', 'a longer goal (default: the title)')
    .option('--run-dir <dir>', 'create the run exactly here instead')
    .option('--workspace <dir>', `create the run under <dir>/${DEFAULT_RUNS_DIR}`)
    .addOption(new Option('--parallel-lanes <ids>', 'declare a parallel fan-out gate on the first task card: comma-separated lane ids').argParser(lanes))
    .option('--worktrees', 'run every worker of this run in its own git worktree (run.json `worktrees: true`)')
    .addOption(new Option('--worktree-cleanup <when>', '`after_apply`: remove a worker’s worktree once `captain apply` merged its work').choices(['after_apply', 'never']))
    .option('--max-parallel <n|auto>', `run.json max_parallel, the supervisor's default: ${MAX_PARALLEL_HELP}`)
    .option('--max-tokens <n>', 'run budget: once the workers used N tokens, nothing new launches (a budget_exceeded event)')
    .option('--max-cost-usd <x>', 'run budget in dollars (known costs only: workers of unpriced models count tokens, not dollars)')
    .addOption(new Option('--budget-action <action>', 'when the budget is reached: hold (running workers finish) or cancel (they are cancelled)').choices([...BUDGET_ACTIONS]))
    .option('--json', 'print JSON')
    .action(async (options: { title: string; goal?: string; runDir?: string; workspace?: string; parallelLanes?: string[]; json?: boolean; worktrees?: boolean; worktreeCleanup?: 'after_apply' | 'never'; maxParallel?: string } & BudgetOptions) => {
      const workspace = options.workspace ?? findWorkspace(process.cwd()) ?? process.cwd();
      const budget = budgetChangeOf(options);
      const maxParallel = parseMaxParallel(options.maxParallel);
      const run = createRun({
        ...(maxParallel === undefined ? {} : { maxParallel }),
        ...(Object.keys(budget).length === 0 ? {} : { budget }),
        title: options.title,
        baseDir: workspaceRunsDir(workspace),
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
    .option('--run-dir <dir>', RUN_DIR_HELP)
    .requiredOption('--title <text>', 'what this task card is for')
    .addOption(new Option('--parallel-lanes <ids>', 'declare a parallel fan-out gate: comma-separated lane ids that each need a terminal worker before fan-in').argParser(lanes))
    .option('--json', 'print JSON')
    .action(async (options: { runDir?: string; title: string; parallelLanes?: string[]; json?: boolean }) => {
      const { runDir } = openRunDir(resolveRunDirOption(options.runDir));
      const card = await addTaskCard(runDir, { title: options.title, ...(options.parallelLanes === undefined ? {} : { parallelLanes: options.parallelLanes }) });
      if (options.json) return printJson(card);
      printText(`task card ${card.task_card_id} (now active)`);
    });

export const runsCommand = (): Command =>
  new Command('runs')
    .description(`list the runs of the workspace (${DEFAULT_RUNS_DIR} in the nearest folder from here up holding .captain/), newest first: outcome, workers by state, age, tokens, cost`)
    .option('--workspace <dir>', 'the workspace (the folder holding .captain/) instead of searching from here up')
    .option('--config <file>', 'runtime config file (thresholds used to judge running workers)')
    .option('--disk', "also measure the disk used by each run's git worktrees (a walk of their files)")
    .option('--json', 'print JSON: {workspace, runs_dir, runs: [...]}')
    .action((options: { workspace?: string; config?: string; json?: boolean; disk?: boolean }) => {
      const list = listRuns({
        config: resolveConfigFromOptions(options),
        disk: options.disk === true,
        ...(options.workspace === undefined ? { cwd: process.cwd() } : { workspace: options.workspace }),
      });
      if (options.json) return printJson(list);
      printText(renderRunsText(list, styleFor(), { width: textWidthFor() }));
    });
