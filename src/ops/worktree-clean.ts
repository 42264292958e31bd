/**
 * `captain clean`: removes the worktrees whose work is collected (the patch saved, the branch kept
 * unless asked), prunes git's worktree metadata and reports the disk space freed. Nothing with
 * uncollected changes is removed: a worktree is kept while any delegation using it runs or is not
 * collected, or when it changed after collection (a dirty tree, a new commit); git's own
 * `worktree remove` (without --force) refuses a tree with changes as a last guard.
 */
import { existsSync } from 'node:fs';
import { CaptainError, describeError } from '../errors.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { wantsRetry } from '../lifecycle/retry.js';
import { updateJsonRecord } from '../store/update-record.js';
import type { JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { diskUsage } from '../worktree/disk.js';
import { git, gitLine } from '../worktree/git.js';
import { withWorktree } from '../worktree/record.js';
import { resolveRepo } from '../worktree/repo.js';
import { removeWorktree } from '../worktree/remove.js';
import { assertRunWorktree } from '../worktree/guard.js';
import type { RunContext } from './context.js';
import { collectPending, listWorktreeDelegations, type WorktreeDelegation } from './worktrees.js';

export interface CleanResult extends JsonObject {
  run_dir: string;
  removed: Array<{ delegation_ids: string[]; path: string; branch: string; bytes: number; branch_deleted: boolean }>;
  kept: Array<{ delegation_ids: string[]; path: string; reason: string }>;
  freed_bytes: number;
}

interface Group {
  path: string;
  members: WorktreeDelegation[];
}

const groupsOf = (delegations: WorktreeDelegation[]): Group[] => {
  const byPath = new Map<string, WorktreeDelegation[]>();
  for (const d of delegations) byPath.set(d.info.path, [...(byPath.get(d.info.path) ?? []), d]);
  return [...byPath].map(([path, members]) => ({ path, members }));
};

/** Why the group's worktree must stay, or null when it can go. */
const reasonToKeep = async (ctx: RunContext, group: Group): Promise<string | null> => {
  const running = group.members.find((d) => !isTerminalChildStatus(d.status));
  if (running !== undefined) return `${running.id} is still ${running.status}`;
  // A retry runs in the failed attempt's worktree.
  const retrying = group.members.find((d) => wantsRetry(d.record, ctx.config.worker_max_retries_per_phase));
  if (retrying !== undefined) return `${retrying.id} failed and may still be retried (in this worktree)`;
  for (const d of group.members) assertRunWorktree(ctx, d.path, d.info);
  const uncollected = group.members.find((d) => d.info.collected_at === undefined);
  if (uncollected !== undefined) return `${uncollected.id}'s work is not collected`;
  if (!existsSync(group.path)) return null;
  const last = group.members[group.members.length - 1]!;
  const status = await git(group.path, ['status', '--porcelain', '-z', '--untracked-files=all']);
  if (status.stdout !== '') return 'it has changes made after its work was collected (commit them, or run `captain diff` after a new collection)';
  const head = await gitLine(group.path, ['rev-parse', 'HEAD']);
  if (head !== last.info.head_commit) return `its HEAD moved after collection (${head.slice(0, 12)}, collected ${String(last.info.head_commit).slice(0, 12)})`;
  return null;
};

const removeGroup = async (ctx: RunContext, group: Group, branches: boolean): Promise<{ bytes: number; branchDeleted: boolean }> => {
  const last = group.members[group.members.length - 1]!;
  const repo = await resolveRepo(last.info.repo);
  const bytes = existsSync(group.path) ? diskUsage(group.path) : 0;
  const { branchDeleted } = await removeWorktree(repo, group.path, branches ? { branch: last.info.branch } : {});
  const at = formatRfc3339(ctx.now());
  for (const d of group.members) {
    await updateJsonRecord(d.path, (current) => withWorktree(current, { removed_at: at, freed_bytes: bytes, ...(branchDeleted ? { branch_deleted_at: at } : {}) }));
  }
  return { bytes, branchDeleted };
};

/** Cleans every removable worktree of the run. */
export const cleanWorktrees = async (ctx: RunContext, opts: { branches?: boolean } = {}): Promise<CleanResult> => {
  const listed = listWorktreeDelegations(ctx).filter((d) => d.info.removed_at === undefined);
  const { delegations } = await collectPending(ctx, listed);
  const result: CleanResult = { run_dir: ctx.runDir, removed: [], kept: [], freed_bytes: 0 };
  for (const group of groupsOf(delegations)) {
    const ids = group.members.map((d) => d.id);
    let reason: string | null;
    try {
      reason = await reasonToKeep(ctx, group);
      if (reason === null) {
        const { bytes, branchDeleted } = await removeGroup(ctx, group, opts.branches ?? false);
        result.removed.push({ delegation_ids: ids, path: group.path, branch: group.members[0]!.info.branch, bytes, branch_deleted: branchDeleted });
        result.freed_bytes += bytes;
        continue;
      }
    } catch (error) {
      reason = describeError(error);
    }
    result.kept.push({ delegation_ids: ids, path: group.path, reason });
  }
  return result;
};

/** Removes one delegation's worktree if it can go (the after-apply policy); `removed: false` with the reason otherwise. */
export const removeCollectedWorktree = async (ctx: RunContext, delegationId: string, opts: { branches: boolean }): Promise<{ removed: boolean; reason: string | null; bytes: number }> => {
  const all = listWorktreeDelegations(ctx);
  const target = all.find((d) => d.id === delegationId);
  if (target === undefined) throw new CaptainError('NOT_FOUND', `no delegation ${delegationId} with a worktree in ${ctx.runDir}`);
  if (target.info.removed_at !== undefined) return { removed: false, reason: 'already removed', bytes: 0 };
  const group = { path: target.info.path, members: all.filter((d) => d.info.path === target.info.path && d.info.removed_at === undefined) };
  const reason = await reasonToKeep(ctx, group);
  if (reason !== null) return { removed: false, reason, bytes: 0 };
  const { bytes } = await removeGroup(ctx, group, opts.branches);
  return { removed: true, reason: null, bytes };
};
