/**
 * A record's `worktree` is acted on (git add/commit in it, `git worktree remove` of it) only when it
 * is one captain made for this run: its folder lies under the run's worktree root (after symlinks of
 * the root) and its branch is a `captain/` branch. A record edited to point elsewhere is an error,
 * like a raw events path outside the run (`--allow-outside-paths` trusts it).
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { WORKTREE_BRANCH_PREFIX } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import type { RunContext } from '../ops/context.js';
import { worktreesRoot } from './create.js';
import type { WorktreeInfo } from './record.js';

const real = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    // Not there (a removed worktree, a root not made yet): its parent's real path, and the name.
    const parent = dirname(path);
    return parent === path ? path : resolve(real(parent), path.slice(parent.length + 1));
  }
};

/** @throws CaptainError PATH_OUTSIDE_RUN when the worktree is not this run's; INVALID_RECORD for a foreign branch. */
export const assertRunWorktree = (ctx: RunContext, recordPath: string, info: WorktreeInfo): void => {
  if (!info.branch.startsWith(`${WORKTREE_BRANCH_PREFIX}/`)) {
    throw new CaptainError('INVALID_RECORD', `${recordPath}: worktree.branch ${JSON.stringify(info.branch)} is not a ${WORKTREE_BRANCH_PREFIX}/ branch; captain acts only on the worktrees it made`, { data: { path: recordPath, field: 'worktree.branch' } });
  }
  if (ctx.allowOutsidePaths) return;
  const root = real(worktreesRoot(ctx.runDir, ctx.run));
  const path = real(resolve(info.path));
  if (!path.startsWith(`${root}${sep}`)) {
    throw new CaptainError('PATH_OUTSIDE_RUN', `${recordPath}: worktree.path ${info.path} is not under the run's worktree folder ${root}; captain acts only on the worktrees it made (pass --allow-outside-paths if the record is trusted)`, {
      data: { path: recordPath, field: 'worktree.path', resolved: path },
    });
  }
};
