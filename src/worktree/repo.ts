/**
 * The repository a delegation's worktree comes from: its top level, git's common dir (shared by
 * all its worktrees, where captain's lock lives) and a base commit. Everything here only reads.
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CaptainError, isCaptainError } from '../errors.js';
import { withRecordLock } from '../store/lock.js';
import { git, gitLine } from './git.js';

export interface Repo {
  /** The checkout's top level (the user's working tree). */
  toplevel: string;
  /** git's common dir (`.git` of the main checkout). */
  commonDir: string;
  /** The cwd relative to the top level ('' at the top), so a worker starts in the same subfolder of its worktree. */
  prefix: string;
}

/**
 * @throws CaptainError GIT naming the cwd when it is not inside a git working tree.
 */
export const resolveRepo = async (cwd: string): Promise<Repo> => {
  let lines: string[];
  try {
    lines = (await gitLine(cwd, ['rev-parse', '--show-toplevel', '--git-common-dir', '--show-prefix'])).split('\n');
  } catch (error) {
    if (!isCaptainError(error)) throw error;
    throw new CaptainError('GIT', `--worktree: ${cwd} is not inside a git working tree (${error.message.replace(/^git rev-parse in \S+ failed: /, '')}); run the worker from a git checkout, \`git init\` one, or drop --worktree`, {
      data: { field: 'cwd', path: cwd },
    });
  }
  const [toplevel, commonDir, prefix] = lines;
  if (toplevel === undefined || toplevel === '' || commonDir === undefined) {
    throw new CaptainError('GIT', `--worktree: ${cwd} is not inside a git working tree (a bare repository?); run the worker from a checkout`, { data: { field: 'cwd', path: cwd } });
  }
  return { toplevel: realpathSync(toplevel), commonDir: realpathSync(resolve(cwd, commonDir)), prefix: prefix ?? '' };
};

/**
 * The commit `ref` names in `repo` (default HEAD).
 * @throws CaptainError GIT when it names no commit (an unborn HEAD: a repository without commits).
 */
export const resolveCommit = async (repo: Repo, ref: string | undefined): Promise<string> => {
  const wanted = ref ?? 'HEAD';
  try {
    return await gitLine(repo.toplevel, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${wanted}^{commit}`]);
  } catch {
    const hint = ref === undefined ? 'the repository has no commit yet; commit something first' : 'pass --base with a branch, tag or commit of this repository';
    throw new CaptainError('GIT', `--worktree: ${wanted} is not a commit in ${repo.toplevel}; ${hint}`, { data: { field: 'base', ref: wanted } });
  }
};

/** Whether `name` is a valid branch name. */
export const isValidBranchName = async (repo: Repo, name: string): Promise<boolean> =>
  (await git(repo.toplevel, ['check-ref-format', '--branch', name], { okCodes: [0, 1, 128] })).code === 0;

/**
 * Runs `fn` holding captain's lock of the repository (`<git common dir>/captain-worktree.lock`),
 * so concurrent delegations never race on git's own locks (`git worktree add/remove/prune` of one
 * repository are serialized across every captain process and run).
 */
export const withRepoLock = <T>(repo: Repo, fn: () => Promise<T>): Promise<T> => withRecordLock(join(repo.commonDir, 'captain-worktree'), fn);
