/**
 * Fanning the work back in: a trial merge that touches no checkout (`git merge-tree --write-tree`,
 * each branch merged onto the result of the previous ones, starting from the user's HEAD), and the
 * real merge into the user's current branch (git's three-way merge, `git merge`).
 */
import { CaptainError } from '../errors.js';
import { git, gitLine } from './git.js';

export interface TrialMergeStep {
  id: string;
  commit: string;
}

export interface TrialMergeResult {
  /** The commit the trial started from (the user's HEAD). */
  onto: string;
  /** Ids merged without conflict, in order. */
  merged: string[];
  /** Ids whose merge onto the ones before conflicts, with the conflicting files (left out of the rest of the trial). */
  conflicts: Array<{ id: string; files: string[] }>;
}

const TRIAL_ENV = { GIT_AUTHOR_NAME: 'captain', GIT_AUTHOR_EMAIL: 'captain@localhost', GIT_COMMITTER_NAME: 'captain', GIT_COMMITTER_EMAIL: 'captain@localhost' };

/**
 * Merges `steps` one after the other onto `onto` in git's object store only (no worktree, no index,
 * no ref changes; the trial commits are unreferenced and go with the next `git gc`).
 */
export const trialMerge = async (repo: string, onto: string, steps: TrialMergeStep[]): Promise<TrialMergeResult> => {
  let current = onto;
  const merged: string[] = [];
  const conflicts: TrialMergeResult['conflicts'] = [];
  for (const step of steps) {
    const out = await git(repo, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', current, step.commit], { okCodes: [0, 1] });
    const fields = out.stdout.split(/\0|\n/).filter((f) => f !== '');
    const tree = fields[0];
    if (out.code === 1) {
      conflicts.push({ id: step.id, files: [...new Set(fields.slice(1))].sort() });
      continue;
    }
    if (tree === undefined) throw new CaptainError('GIT', `git merge-tree in ${repo} printed no tree`);
    current = await gitLine(repo, ['commit-tree', tree, '-p', current, '-p', step.commit, '-m', `captain trial merge of ${step.id}`], { env: TRIAL_ENV });
    merged.push(step.id);
  }
  return { onto, merged, conflicts };
};

/** The user's HEAD commit. */
export const headCommit = (repo: string): Promise<string> => gitLine(repo, ['rev-parse', '--verify', 'HEAD^{commit}']);

/**
 * @throws CaptainError GIT when the checkout has changes to tracked files (staged or not) or an
 *   unfinished merge; the message lists them and what to do.
 */
export const assertCleanCheckout = async (repo: string): Promise<void> => {
  const merging = await git(repo, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { okCodes: [0, 1] });
  if (merging.code === 0) {
    throw new CaptainError('GIT', `${repo} has an unfinished merge; finish it (commit) or abort it (\`git merge --abort\`), then apply again`, { data: { repo } });
  }
  const status = await git(repo, ['status', '--porcelain', '-z', '--untracked-files=no']);
  const changed = status.stdout.split('\0').filter((l) => l.length > 3).map((l) => l.slice(3));
  if (changed.length > 0) {
    const shown = changed.slice(0, 10).join(', ');
    throw new CaptainError('GIT', `${repo} has uncommitted changes (${shown}${changed.length > 10 ? `, and ${changed.length - 10} more` : ''}); commit or stash them, then apply again`, { data: { repo, files: changed } });
  }
};

export type MergeOutcome = { merged: true; head: string } | { merged: false; conflicts: string[] };

/**
 * `git merge --no-edit -m MESSAGE COMMIT` in the user's checkout. On conflicts git leaves an
 * unfinished merge (conflict markers in the files, MERGE_HEAD set): it is left as it is, for the
 * user to resolve or `git merge --abort`.
 * @throws CaptainError GIT when git refuses for another reason (e.g. untracked files in the way).
 */
export const mergeInto = async (repo: string, commit: string, message: string): Promise<MergeOutcome> => {
  const out = await git(repo, ['merge', '--no-edit', '-m', message, commit], { okCodes: [0, 1] });
  if (out.code === 0) return { merged: true, head: await headCommit(repo) };
  const unmerged = await git(repo, ['diff', '--name-only', '-z', '--diff-filter=U']);
  const conflicts = unmerged.stdout.split('\0').filter((f) => f !== '');
  if (conflicts.length === 0) {
    const why = `${out.stdout}\n${out.stderr}`.split('\n').find((l) => /error|fatal|overwritten|refus/i.test(l)) ?? 'git merge failed';
    throw new CaptainError('GIT', `git merge in ${repo} failed: ${why.trim()}`, { data: { repo, stdout: out.stdout.slice(0, 4000), stderr: out.stderr.slice(0, 4000) } });
  }
  return { merged: false, conflicts: conflicts.sort() };
};
