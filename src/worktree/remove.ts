/** Removing a worktree: `git worktree remove` (no --force: git refuses a tree with changes), `git worktree prune`, optionally the branch; under the repository lock. */
import { existsSync } from 'node:fs';
import { git } from './git.js';
import { withRepoLock, type Repo } from './repo.js';

/** Returns whether the branch was deleted (false when not asked, or git had no such branch). */
export const removeWorktree = async (repo: Repo, path: string, opts: { branch?: string } = {}): Promise<{ branchDeleted: boolean }> =>
  withRepoLock(repo, async () => {
    if (existsSync(path)) await git(repo.toplevel, ['worktree', 'remove', path]);
    await git(repo.toplevel, ['worktree', 'prune']);
    if (opts.branch === undefined) return { branchDeleted: false };
    const deleted = await git(repo.toplevel, ['branch', '-D', '--end-of-options', opts.branch], { okCodes: [0, 1] });
    return { branchDeleted: deleted.code === 0 };
  });
