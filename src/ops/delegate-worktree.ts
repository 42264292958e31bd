/**
 * Where a delegation runs when git worktrees are involved (see README "Isolation with git
 * worktrees"): a new worktree (planned, i.e. checked, before `delegate` writes anything), the
 * worktree of the delegation it continues (a retry, or a `--worktree-of` follow-up), or the cwd.
 */
import { existsSync } from 'node:fs';
import { CaptainError } from '../errors.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { delegationPath } from '../store/paths.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { collectWorktree } from '../worktree/collect.js';
import { planWorktree, worktreesRoot, type WorktreePlan } from '../worktree/create.js';
import { assertRunWorktree } from '../worktree/guard.js';
import { worktreeOf } from '../worktree/record.js';
import type { RunContext } from './context.js';

/** The parts of a delegate call this looks at. */
interface IsolationInput {
  worktree?: boolean;
  base?: string;
  worktreeOf?: string;
  retryOf?: string;
}

/** Where the worker runs: its cwd, and the worktree to create (`plan`) or reuse (`reused`). */
export interface Isolation {
  cwd: string;
  plan?: WorktreePlan;
  reused?: JsonObject;
}

/**
 * A retry or a follow-up reuses the worktree of the delegation it continues (collected first, so
 * the earlier attempt's work is on the branch); a new `--worktree` delegation gets a plan, checked
 * before anything is written (a cwd outside git is refused here).
 */
export const isolationFor = async (ctx: RunContext, input: IsolationInput, userCwd: string, delegationId: string): Promise<Isolation> => {
  const continued = input.retryOf ?? input.worktreeOf;
  if (continued !== undefined) {
    const path = delegationPath(ctx.runDir, continued, { field: input.retryOf !== undefined ? 'retry_of' : 'worktree_of' });
    const earlier = existsSync(path) ? loadOne(path) : undefined;
    const info = earlier === undefined ? undefined : worktreeOf(earlier);
    const label = input.retryOf !== undefined ? `the retry of ${continued}` : `--worktree-of ${continued}`;
    if (info === undefined) {
      if (input.worktreeOf !== undefined) throw new CaptainError('USAGE', `${label}: that delegation has no worktree in ${ctx.runDir}`);
      // A retry runs where its first attempt ran.
      return { cwd: userCwd };
    } else {
      if (!isTerminalChildStatus(childStatusOf(earlier!))) throw new CaptainError('USAGE', `${label}: that worker is still running; wait for it (two workers never share a worktree)`);
      if (info.removed_at !== undefined || !existsSync(info.path)) throw new CaptainError('GIT', `${label}: its worktree ${info.path} was removed (by \`captain clean\`?); start a new --worktree delegation with --base ${info.branch}`);
      assertRunWorktree(ctx, path, info);
      await collectWorktree(ctx, path);
      const reused = { path: info.path, branch: info.branch, base_commit: info.base_commit, repo: info.repo, ...(info.cwd === undefined ? {} : { cwd: info.cwd }), created_at: info.created_at ?? null, reused_from: continued };
      return { cwd: input.retryOf !== undefined ? userCwd : (info.cwd ?? info.path), reused };
    }
  }
  const wanted = input.worktree ?? getKey(ctx.run, 'worktrees') === true;
  if (!wanted) {
    if (input.base !== undefined) throw new CaptainError('USAGE', '--base is for --worktree delegations; add --worktree');
    return { cwd: userCwd };
  }
  const plan = await planWorktree({ cwd: userCwd, ...(input.base === undefined ? {} : { base: input.base }), root: worktreesRoot(ctx.runDir, ctx.run), runId: asString(getKey(ctx.run, 'run_id')) ?? '', delegationId });
  return { cwd: plan.cwd, plan };
};

const loadOne = (path: string): JsonObject | undefined => {
  try {
    return readJsonObjectSync(path);
  } catch {
    return undefined;
  }
};
