/**
 * `captain apply`: merges collected work into the user's current branch with git's three-way merge
 * (`git merge`), one delegation after another. Refuses on a dirty checkout; on conflicts it stops
 * and leaves the checkout as git leaves an unfinished merge (resolve and commit, or
 * `git merge --abort`). A delegation applied once is not merged again.
 */
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { CaptainError } from '../errors.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { assertCleanCheckout, mergeInto } from '../worktree/merge.js';
import { withWorktree } from '../worktree/record.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { removeCollectedWorktree } from './worktree-clean.js';
import { collectPending, latestPerBranch, listWorktreeDelegations, type WorktreeDelegation } from './worktrees.js';

export interface ApplyResult extends JsonObject {
  repo: string | null;
  applied: Array<{ delegation_id: string; branch: string; head: string }>;
  already_applied: string[];
  /** The delegation whose merge conflicted (the checkout is left mid-merge), else null. */
  conflict: { delegation_id: string; branch: string; files: string[] } | null;
  /** Not applied because an earlier one conflicted. */
  not_attempted: string[];
  /** Worktrees removed after applying (run.json `worktree_cleanup: "after_apply"`). */
  removed_worktrees: string[];
}

const selectTargets = async (ctx: RunContext, opts: { delegationId?: string; taskCardId?: string }): Promise<WorktreeDelegation[]> => {
  if (opts.delegationId !== undefined) {
    const all = listWorktreeDelegations(ctx);
    const found = all.find((d) => d.id === opts.delegationId);
    if (found === undefined) throw new CaptainError('NOT_FOUND', `no delegation ${opts.delegationId} with a worktree in ${ctx.runDir}; with worktrees: ${all.map((d) => d.id).join(', ') || '(none)'}`);
    if (!isTerminalChildStatus(found.status)) throw new CaptainError('USAGE', `delegation ${found.id} is still ${found.status}; apply it once it has ended`);
    return [found];
  }
  const card = targetTaskCardId(ctx, opts.taskCardId);
  if (card === null) throw new CaptainError('USAGE', `${ctx.runDir}/run.json has no active_task_card_id; pass --task-card ID`);
  const listed = listWorktreeDelegations(ctx, card);
  if (listed.length === 0) throw new CaptainError('NOT_FOUND', `task card ${card} has no delegation with a worktree`);
  // Every returned worker, in the order they were delegated (the last of each retry chain).
  return latestPerBranch(listed).filter((d) => d.status === 'completed');
};

export const applyWork = async (ctx: RunContext, opts: { delegationId?: string; taskCardId?: string }): Promise<ApplyResult> => {
  const selected = await selectTargets(ctx, opts);
  const { delegations, errors } = await collectPending(ctx, selected);
  if (errors.length > 0) throw new CaptainError('GIT', `could not collect ${errors.map((e) => `${e.delegation_id} (${e.error})`).join('; ')}`);
  const repos = [...new Set(delegations.map((d) => d.info.repo))];
  if (repos.length > 1) throw new CaptainError('USAGE', `these delegations come from ${repos.length} repositories (${repos.join(', ')}); apply them one --delegation at a time`);
  const result: ApplyResult = { repo: repos[0] ?? null, applied: [], already_applied: [], conflict: null, not_attempted: [], removed_worktrees: [] };
  const pending = delegations.filter((d) => {
    if (d.info.applied_at === undefined) return true;
    result.already_applied.push(d.id);
    return false;
  });
  if (result.repo === null || pending.length === 0) return result;
  await assertCleanCheckout(result.repo);
  const cleanup = asString(getKey(ctx.run, 'worktree_cleanup')) === 'after_apply';
  for (const [index, d] of pending.entries()) {
    const head = d.info.head_commit!;
    const outcome = await mergeInto(result.repo, head, `Merge ${d.info.branch} (captain delegation ${d.id})`);
    if (!outcome.merged) {
      result.conflict = { delegation_id: d.id, branch: d.info.branch, files: outcome.conflicts };
      result.not_attempted = pending.slice(index + 1).map((p) => p.id);
      return result;
    }
    const at = formatRfc3339(ctx.now());
    await updateJsonRecord(d.path, (current) => withWorktree(current, { applied_at: at, applied_commit: outcome.head }));
    result.applied.push({ delegation_id: d.id, branch: d.info.branch, head: outcome.head });
    if (cleanup) {
      const removed = await removeCollectedWorktree(ctx, d.id, { branches: false });
      if (removed.removed) result.removed_worktrees.push(d.id);
    }
  }
  return result;
};
