/** `captain diff`, `captain apply`, `captain clean`: the work of `--worktree` delegations. */
import { Command } from 'commander';
import { CaptainError } from '../../errors.js';
import { DEFAULT_RUNS_DIR } from '../../ops/runs.js';
import { listRuns } from '../../ops/run-list.js';
import { getDelegationDiff } from '../../ops/worktree-diff.js';
import { applyWork } from '../../ops/worktree-apply.js';
import { cleanWorktrees, type CleanResult } from '../../ops/worktree-clean.js';
import { formatDiffstat } from '../../worktree/diffstat.js';
import { formatBytes } from '../../worktree/disk.js';
import { contextFromOptions, resolveConfigFromOptions, withRunOptions, type CommonOptions } from '../common.js';
import { openRunContext } from '../../ops/context.js';
import { printJson, printText } from '../output.js';

export const diffCommand = (): Command =>
  withRunOptions(new Command('diff'))
    .description("a finished --worktree worker's changes as a patch (its commits plus a snapshot of what it left uncommitted)")
    .requiredOption('--delegation <id>', 'the delegation')
    .option('--stat', 'only the diffstat')
    .action(async (options: CommonOptions & { delegation: string; stat?: boolean }) => {
      const diff = await getDelegationDiff(contextFromOptions(options), options.delegation);
      if (options.json) return printJson(options.stat ? { ...diff, patch: undefined } : diff);
      if (options.stat) {
        const lines = diff.diffstat.per_file.map((f) => ` ${f.path} | ${f.binary ? 'binary' : `+${f.added} -${f.removed}`}`);
        return printText([...lines, ` ${formatDiffstat(diff.diffstat)}  (${diff.branch}, patch: ${diff.patch_file})`].join('\n'));
      }
      process.stdout.write(diff.patch);
    });

export const applyCommand = (): Command =>
  withRunOptions(new Command('apply'))
    .description("merge --worktree workers' changes into your current branch (git's three-way merge); refuses on a dirty checkout, stops at the first conflict")
    .option('--delegation <id>', 'apply this delegation')
    .option('--task-card <id>', "apply every returned worker of the task card, in the order delegated (default: run.json's active one)")
    .action(async (options: CommonOptions & { delegation?: string; taskCard?: string }) => {
      if (options.delegation !== undefined && options.taskCard !== undefined) throw new CaptainError('USAGE', 'pass --delegation or --task-card, not both');
      const ctx = contextFromOptions(options);
      const result = await applyWork(ctx, {
        ...(options.delegation === undefined ? {} : { delegationId: options.delegation }),
        ...(options.taskCard === undefined ? {} : { taskCardId: options.taskCard }),
      });
      if (options.json) printJson(result);
      else {
        const lines = [
          ...result.applied.map((a) => `applied ${a.delegation_id} (${a.branch}) → ${a.head.slice(0, 12)}`),
          ...result.already_applied.map((id) => `${id}: already applied`),
          ...result.removed_worktrees.map((id) => `${id}: worktree removed (worktree_cleanup = after_apply)`),
        ];
        if (result.applied.length === 0 && result.already_applied.length === 0 && result.conflict === null) lines.push('nothing to apply');
        printText(lines.join('\n'));
      }
      if (result.conflict !== null) {
        const c = result.conflict;
        process.stderr.write(
          `captain: merging ${c.delegation_id} (${c.branch}) into ${String(result.repo)} conflicts in: ${c.files.join(', ')}\n` +
            `  the checkout is left mid-merge: resolve the files and \`git commit\`, or undo it with \`git merge --abort\`\n` +
            (result.not_attempted.length > 0 ? `  not attempted: ${result.not_attempted.join(', ')} (run captain apply again after resolving)\n` : ''),
        );
        process.exitCode = 1;
      }
    });

const renderClean = (result: CleanResult): string[] => [
  ...result.removed.map((r) => `removed ${r.path} (${r.delegation_ids.join(', ')}): ${formatBytes(r.bytes)}${r.branch_deleted ? `, branch ${r.branch} deleted` : `, branch ${r.branch} kept`}`),
  ...result.kept.map((k) => `kept ${k.path} (${k.delegation_ids.join(', ')}): ${k.reason}`),
];

export const cleanCommand = (): Command =>
  withRunOptions(new Command('clean'), { runDirRequired: false })
    .description('remove the worktrees of finished workers whose work is collected (patches kept), prune git worktree metadata, print the space freed')
    .option('--all', `every run of the workspace (${DEFAULT_RUNS_DIR} in the nearest folder from here up holding .captain/)`)
    .option('--workspace <dir>', 'with --all: the workspace instead of the one found from here')
    .option('--branches', 'also delete the workers’ branches (captain/<run>/<delegation>)')
    .action(async (options: CommonOptions & { all?: boolean; workspace?: string; branches?: boolean }) => {
      if ((options.all ?? false) === (options.runDir !== undefined)) throw new CaptainError('USAGE', 'pass --run-dir DIR or --all');
      const config = resolveConfigFromOptions(options);
      const runDirs = options.all ? listRuns({ ...(options.workspace === undefined ? { cwd: process.cwd() } : { workspace: options.workspace }), config }).runs.map((r) => r.run_dir) : [options.runDir!];
      const results: CleanResult[] = [];
      for (const runDir of runDirs) {
        const ctx = openRunContext(runDir, config, { allowOutsidePaths: options.allowOutsidePaths ?? false });
        results.push(await cleanWorktrees(ctx, { branches: options.branches ?? false }));
      }
      const freed = results.reduce((sum, r) => sum + r.freed_bytes, 0);
      if (options.json) return printJson(options.all ? { runs: results, freed_bytes: freed } : results[0]);
      printText([...results.flatMap(renderClean), `freed ${formatBytes(freed)}`].join('\n'));
    });
