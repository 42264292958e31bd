/**
 * The delegations of a run that have a worktree, collected on demand: every reader of the work
 * (`diff`, `result`, fan-in, `apply`, `clean`) first collects what finished but was not collected
 * yet (collection is idempotent), so nothing depends on which process saw the worker end.
 */
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus, type ChildStatusText } from '../lifecycle/states.js';
import { runLayout } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { collectWorktree } from '../worktree/collect.js';
import { worktreeOf, type WorktreeInfo } from '../worktree/record.js';
import type { RunContext } from './context.js';

export interface WorktreeDelegation {
  id: string;
  path: string;
  record: JsonObject;
  info: WorktreeInfo;
  taskCardId: string | null;
  status: ChildStatusText;
  createdAt: string;
}

const toWorktreeDelegation = (path: string, record: JsonObject): WorktreeDelegation | undefined => {
  const info = worktreeOf(record);
  const id = asString(getKey(record, 'delegation_id'));
  if (info === undefined || id === undefined) return undefined;
  return { id, path, record, info, taskCardId: asString(getKey(record, 'task_card_id')) ?? null, status: childStatusOf(record), createdAt: asString(getKey(record, 'created_at')) ?? '' };
};

/** The run's worktree delegations (optionally of one task card), oldest first. */
export const listWorktreeDelegations = (ctx: RunContext, taskCardId?: string): WorktreeDelegation[] =>
  loadDelegations(ctx.runDir)
    .records.map((r) => toWorktreeDelegation(r.path, r.record))
    .filter((d): d is WorktreeDelegation => d !== undefined && (taskCardId === undefined || d.taskCardId === taskCardId))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));

/**
 * Collects every terminal, uncollected one of `delegations`; returns them as they now are. A
 * collection that fails (git refused) is returned in `errors` and the delegation stays uncollected.
 */
export const collectPending = async (ctx: RunContext, delegations: WorktreeDelegation[]): Promise<{ delegations: WorktreeDelegation[]; errors: Array<{ delegation_id: string; error: string }> }> => {
  const errors: Array<{ delegation_id: string; error: string }> = [];
  const out: WorktreeDelegation[] = [];
  for (const d of delegations) {
    if (d.info.collected_at !== undefined || !isTerminalChildStatus(d.status)) {
      out.push(d);
      continue;
    }
    try {
      const result = await collectWorktree(ctx, d.path);
      out.push(result.worktree === null ? d : { ...d, info: result.worktree });
    } catch (error) {
      errors.push({ delegation_id: d.id, error: error instanceof Error ? error.message : String(error) });
      out.push(d);
    }
  }
  return { delegations: out, errors };
};

/**
 * The delegations that hold the latest work of their branch: a retry or follow-up continues its
 * predecessor's branch, so only the last of a chain (by creation) is the branch's work.
 */
export const latestPerBranch = (delegations: WorktreeDelegation[]): WorktreeDelegation[] => {
  const last = new Map<string, WorktreeDelegation>();
  for (const d of delegations) last.set(`${d.info.repo}\0${d.info.branch}`, d);
  return delegations.filter((d) => last.get(`${d.info.repo}\0${d.info.branch}`) === d);
};

/** The run-level worktree settings kept in run.json. */
export interface WorktreePolicy {
  /** Every delegation of the run gets a worktree unless it says otherwise. */
  worktrees?: boolean;
  /** `after_apply`: `captain apply` removes a worker's worktree once its work is merged (the branch stays). */
  worktreeCleanup?: 'after_apply' | 'never';
}

/** Writes the run's worktree policy into run.json (under its lock, other keys kept). */
export const setWorktreePolicy = async (runDir: string, policy: WorktreePolicy): Promise<void> => {
  await updateJsonRecord(runLayout(runDir).runJson, (current) => ({
    ...current,
    ...(policy.worktrees === undefined ? {} : { worktrees: policy.worktrees }),
    ...(policy.worktreeCleanup === undefined ? {} : { worktree_cleanup: policy.worktreeCleanup }),
  }));
};
