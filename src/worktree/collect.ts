/**
 * Collecting a finished worker's work from its worktree, without losing anything uncommitted:
 * the commits it left on its branch, plus a snapshot commit of its uncommitted and untracked
 * changes (`git add -A`: ignored files stay out), a patch file in the run
 * (`patches/<id>.patch`, base → last commit, binary-safe) and a diffstat in the record.
 *
 * Idempotent and crash-safe: done under a per-delegation lock (`.captain-locks/worktree-<id>`),
 * re-reading the record first; the marker `worktree.collected_at` is written last, under the record
 * lock, after the patch is durable. A crash in between leaves no marker, and the next collector
 * finds the worktree clean (the snapshot already committed) and writes the same patch again.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { PATCHES_DIR_NAME, SNAPSHOT_COMMIT_IDENTITY } from '../config/defaults.js';
import { CaptainError } from '../errors.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import type { RunContext } from '../ops/context.js';
import { guardWrite, readJsonObjectSync } from '../store/json-file.js';
import { withRecordLock } from '../store/lock.js';
import { assertSafeId, runLayout } from '../store/paths.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { parseNumstat } from './diffstat.js';
import { git, gitLine } from './git.js';
import { assertRunWorktree } from './guard.js';
import { withWorktree, worktreeOf, type WorktreeInfo } from './record.js';

/** `<run>/patches/<id>.patch` */
export const patchPath = (runDir: string, delegationId: string): string => join(runDir, PATCHES_DIR_NAME, `${assertSafeId(delegationId, { field: 'delegation id' })}.patch`);

const snapshotEnv = {
  GIT_AUTHOR_NAME: SNAPSHOT_COMMIT_IDENTITY.name,
  GIT_AUTHOR_EMAIL: SNAPSHOT_COMMIT_IDENTITY.email,
  GIT_COMMITTER_NAME: SNAPSHOT_COMMIT_IDENTITY.name,
  GIT_COMMITTER_EMAIL: SNAPSHOT_COMMIT_IDENTITY.email,
};

const snapshotMessage = (delegationId: string): string => `captain: snapshot of ${delegationId}'s uncommitted changes`;

/** Commits everything uncommitted in the worktree (tracked and untracked, not ignored); the new commit, or null when clean. */
const snapshotUncommitted = async (path: string, delegationId: string): Promise<string | null> => {
  await git(path, ['add', '--all']);
  const staged = await git(path, ['diff', '--cached', '--quiet'], { okCodes: [0, 1] });
  if (staged.code === 0) return null;
  // No hooks (not even post-commit) and no signing: this commit is captain's bookkeeping, not the user's.
  await git(path, ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', 'commit', '--quiet', '--no-verify', '-m', snapshotMessage(delegationId)], { env: snapshotEnv });
  return gitLine(path, ['rev-parse', 'HEAD']);
};

/** The last commit of the worker: its worktree's HEAD, or its branch when the directory is gone. */
const headOf = async (info: WorktreeInfo): Promise<string> => {
  if (existsSync(info.path)) return gitLine(info.path, ['rev-parse', 'HEAD']);
  return gitLine(info.repo, ['rev-parse', '--verify', '--end-of-options', `refs/heads/${info.branch}^{commit}`]);
};

/** Writes the patch base → head into the run, atomically. */
const writePatch = async (runDir: string, delegationId: string, info: WorktreeInfo, head: string): Promise<string> => {
  const target = patchPath(runDir, delegationId);
  guardWrite(target, { runDir });
  mkdirSync(join(runDir, PATCHES_DIR_NAME), { recursive: true });
  const { stdout } = await git(info.repo, ['diff', '--binary', '--full-index', info.base_commit, head]);
  await writeFileAtomic(target, stdout, { fsync: true });
  return target;
};

export interface CollectOutcome {
  delegation_id: string;
  /** 'collected' now, 'already' by someone before, 'not_terminal' (nothing done), 'no_worktree'. */
  outcome: 'collected' | 'already' | 'not_terminal' | 'no_worktree';
  worktree: WorktreeInfo | null;
}

/**
 * Collects the work of the delegation at `recordPath` once it is terminal (safe to call any number
 * of times, from any number of processes).
 * @throws CaptainError GIT when git fails (nothing is marked collected then).
 */
export const collectWorktree = async (ctx: RunContext, recordPath: string): Promise<CollectOutcome> => {
  const first = readJsonObjectSync(recordPath);
  const id = asString(getKey(first, 'delegation_id')) ?? '';
  const early = (record: JsonObject): CollectOutcome | undefined => {
    const info = worktreeOf(record);
    if (info === undefined) return { delegation_id: id, outcome: 'no_worktree', worktree: null };
    if (info.collected_at !== undefined) return { delegation_id: id, outcome: 'already', worktree: info };
    if (!isTerminalChildStatus(childStatusOf(record))) return { delegation_id: id, outcome: 'not_terminal', worktree: info };
    return undefined;
  };
  const before = early(first);
  if (before !== undefined) return before;
  const lockDir = runLayout(ctx.runDir).lockDir;
  mkdirSync(lockDir, { recursive: true });
  return withRecordLock(join(lockDir, `worktree-${assertSafeId(id, { field: 'delegation_id', recordPath })}`), async () => {
    const record = readJsonObjectSync(recordPath);
    const settled = early(record);
    if (settled !== undefined) return settled;
    const info = worktreeOf(record)!;
    assertRunWorktree(ctx, recordPath, info);
    // A directory removed behind captain's back: what its branch holds is all there is.
    const made = existsSync(info.path) ? await snapshotUncommitted(info.path, id) : null;
    const head = await headOf(info);
    // A snapshot made by an earlier collection that crashed before its marker is HEAD now.
    const snapshot = made ?? ((await gitLine(info.repo, ['log', '-1', '--format=%s', head])) === snapshotMessage(id) ? head : null);
    const patchFile = await writePatch(ctx.runDir, id, info, head);
    const numstat = await git(info.repo, ['diff', '--numstat', '-z', '--no-renames', info.base_commit, head]);
    const diffstat = parseNumstat(numstat.stdout);
    const collectedAt = formatRfc3339(ctx.now());
    const { record: after } = await updateJsonRecord(recordPath, (current) => {
      const now = worktreeOf(current);
      if (now === undefined || now.collected_at !== undefined) return undefined;
      return withWorktree(current, { collected_at: collectedAt, head_commit: head, snapshot_commit: snapshot, patch_file: patchFile, diffstat });
    });
    const stored = worktreeOf(after);
    if (stored === undefined) throw new CaptainError('INVALID_RECORD', `${recordPath}: worktree vanished while collecting`);
    return { delegation_id: id, outcome: 'collected', worktree: stored };
  });
};
