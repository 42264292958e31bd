/** `captain diff`: the patch of one delegation's collected work. */
import { readFileSync } from 'node:fs';
import { CaptainError } from '../errors.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { resolveInsideRun } from '../store/paths.js';
import { collectWorktree } from '../worktree/collect.js';
import { worktreeOf, type Diffstat } from '../worktree/record.js';
import type { RunContext } from './context.js';
import { findDelegation } from './worker.js';

export interface DelegationDiff {
  delegation_id: string;
  branch: string;
  base_commit: string;
  head_commit: string;
  patch_file: string;
  diffstat: Diffstat;
  patch: string;
}

/**
 * @throws CaptainError USAGE when the delegation has no worktree or is still running, GIT when
 *   collecting fails.
 */
export const getDelegationDiff = async (ctx: RunContext, delegationId: string): Promise<DelegationDiff> => {
  const { path, record } = findDelegation(ctx, delegationId);
  if (worktreeOf(record) === undefined) throw new CaptainError('USAGE', `delegation ${delegationId} has no worktree (it was not started with --worktree); its changes are in its cwd`);
  if (!isTerminalChildStatus(childStatusOf(record))) {
    throw new CaptainError('USAGE', `delegation ${delegationId} is still ${childStatusOf(record)}; its patch is collected when it ends (\`captain wait\`, or cancel it)`);
  }
  const { worktree } = await collectWorktree(ctx, path);
  if (worktree === null || worktree.patch_file === undefined || worktree.head_commit === undefined || worktree.diffstat === undefined) {
    throw new CaptainError('INVALID_RECORD', `${path}: the worktree was not collected`);
  }
  const patchFile = resolveInsideRun(ctx.runDir, worktree.patch_file, { allowOutside: ctx.allowOutsidePaths, recordPath: path, field: 'worktree.patch_file' });
  return {
    delegation_id: delegationId,
    branch: worktree.branch,
    base_commit: worktree.base_commit,
    head_commit: worktree.head_commit,
    patch_file: patchFile,
    diffstat: worktree.diffstat,
    patch: readFileSync(patchFile, 'utf8'),
  };
};
