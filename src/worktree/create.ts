/**
 * Creating a delegation's worktree: `plan` checks everything (a git checkout, a base commit, a
 * valid branch name, a free path) before `delegate` writes anything; `create` runs
 * `git worktree add -b <branch> <path> <base>` under the repository's captain lock.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WORKTREE_BRANCH_PREFIX, WORKTREES_DIR_NAME } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import type { JsonObject } from '../util/json.js';
import { git } from './git.js';
import { isValidBranchName, resolveCommit, resolveRepo, withRepoLock, type Repo } from './repo.js';

export interface WorktreePlan {
  repo: Repo;
  baseCommit: string;
  branch: string;
  /** The worktree's directory. */
  path: string;
  /** Where the worker starts: the same subfolder of the worktree as the cwd was of the checkout. */
  cwd: string;
}

/** `<run>/worktrees` (or run.json's `worktree_root`). */
export const worktreesRoot = (runDir: string, run: JsonObject): string =>
  typeof run.worktree_root === 'string' && run.worktree_root !== '' ? resolve(runDir, run.worktree_root) : join(runDir, WORKTREES_DIR_NAME);

/**
 * @throws CaptainError GIT when the cwd is not in a git checkout, the base is not a commit, or the
 *   branch or path is taken.
 */
export const planWorktree = async (opts: { cwd: string; base?: string; root: string; runId: string; delegationId: string }): Promise<WorktreePlan> => {
  const repo = await resolveRepo(opts.cwd);
  const baseCommit = await resolveCommit(repo, opts.base);
  const branch = `${WORKTREE_BRANCH_PREFIX}/${opts.runId === '' ? 'run' : opts.runId}/${opts.delegationId}`;
  if (!(await isValidBranchName(repo, branch))) {
    throw new CaptainError('GIT', `--worktree: ${branch} is not a valid branch name (run id ${JSON.stringify(opts.runId)})`, { data: { field: 'branch', branch } });
  }
  const path = join(opts.root, opts.delegationId);
  if (existsSync(path)) throw new CaptainError('GIT', `--worktree: ${path} already exists`, { data: { field: 'path', path } });
  // The same subfolder if the base has it (an untracked folder is not in the worktree), else the top.
  const prefix = repo.prefix.replace(/\/$/, '');
  const hasPrefix = prefix !== '' && (await git(repo.toplevel, ['cat-file', '-e', `${baseCommit}:${prefix}`], { okCodes: [0, 1, 128] })).code === 0;
  return { repo, baseCommit, branch, path, cwd: hasPrefix ? join(path, prefix) : path };
};

/** Creates the worktree and its branch; returns the record's `worktree` object. */
export const createWorktree = async (plan: WorktreePlan, createdAt: string): Promise<JsonObject> => {
  mkdirSync(dirname(plan.path), { recursive: true });
  await withRepoLock(plan.repo, () => git(plan.repo.toplevel, ['worktree', 'add', '--quiet', '-b', plan.branch, plan.path, plan.baseCommit]));
  return {
    path: plan.path,
    branch: plan.branch,
    base_commit: plan.baseCommit,
    repo: plan.repo.toplevel,
    cwd: plan.cwd,
    created_at: createdAt,
  };
};
