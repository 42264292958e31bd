/**
 * What fan-in reports about a task card's worktrees: each worker's diffstat, the files touched by
 * more than one worker, and a trial merge of every branch onto the user's HEAD (in git's object
 * store only: the user's checkout is not touched) that names the real conflicts.
 */
import { isJsonObject, type Json, type JsonObject } from '../util/json.js';
import { formatDiffstat } from '../worktree/diffstat.js';
import { headCommit, trialMerge } from '../worktree/merge.js';
import type { RunContext } from './context.js';
import { collectPending, latestPerBranch, listWorktreeDelegations } from './worktrees.js';

export interface WorktreeFanInReport extends JsonObject {
  workers: Array<{ delegation_id: string; status: string; branch: string; head_commit: string | null; patch_file: string | null; files: number; added: number; removed: number; paths: string[]; paths_truncated: boolean }>;
  overlapping_files: Array<{ path: string; delegation_ids: string[] }>;
  trial_merge: { repo: string; onto: string; merged: string[]; conflicts: Array<{ delegation_id: string; files: string[] }>; clean: boolean } | null;
  errors: Array<{ delegation_id: string; error: string }>;
}

/** The report for `taskCardId`, or null when none of its delegations has a worktree. */
export const worktreeFanInReport = async (ctx: RunContext, taskCardId: string): Promise<WorktreeFanInReport | null> => {
  const listed = listWorktreeDelegations(ctx, taskCardId);
  if (listed.length === 0) return null;
  const { delegations, errors } = await collectPending(ctx, listed);
  const latest = latestPerBranch(delegations);
  const workers = latest.map((d) => {
    const stat = d.info.diffstat;
    return {
      delegation_id: d.id,
      status: d.status,
      branch: d.info.branch,
      head_commit: d.info.head_commit ?? null,
      patch_file: d.info.patch_file ?? null,
      files: stat?.files ?? 0,
      added: stat?.added ?? 0,
      removed: stat?.removed ?? 0,
      paths: (stat?.per_file ?? []).map((f) => f.path),
      // Over DIFFSTAT_MAX_FILES files the overlap list may miss some; the trial merge does not.
      paths_truncated: stat?.per_file_truncated === true,
    };
  });
  const touched = new Map<string, string[]>();
  for (const w of workers) for (const p of w.paths) touched.set(p, [...(touched.get(p) ?? []), w.delegation_id]);
  const overlapping = [...touched].filter(([, ids]) => ids.length > 1).map(([path, ids]) => ({ path, delegation_ids: ids })).sort((a, b) => (a.path < b.path ? -1 : 1));
  const collected = latest.filter((d) => d.info.head_commit !== undefined && d.status === 'completed');
  const repo = collected[0]?.info.repo;
  let trial: WorktreeFanInReport['trial_merge'] = null;
  if (repo !== undefined) {
    const onto = await headCommit(repo);
    const result = await trialMerge(repo, onto, collected.filter((d) => d.info.repo === repo).map((d) => ({ id: d.id, commit: d.info.head_commit! })));
    const conflicts = result.conflicts.map((c) => ({ delegation_id: c.id, files: c.files }));
    trial = { repo, onto, merged: result.merged, conflicts, clean: conflicts.length === 0 };
  }
  return { workers, overlapping_files: overlapping, trial_merge: trial, errors };
};

/** Whether a fan-in result's `worktrees` value is a report. */
export const isWorktreeReport = (value: Json | undefined): value is WorktreeFanInReport => isJsonObject(value) && Array.isArray(value.workers);

/** The report as text lines (CLI and MCP answers). */
export const renderWorktreeReport = (report: WorktreeFanInReport): string[] => {
  const lines = ['worktrees:'];
  for (const w of report.workers) lines.push(`  ${w.delegation_id} (${w.status}) ${w.branch}: ${formatDiffstat(w)}`);
  if (report.overlapping_files.length > 0) {
    lines.push('files touched by more than one worker:');
    for (const o of report.overlapping_files) lines.push(`  ${o.path}: ${o.delegation_ids.join(', ')}`);
  }
  const trial = report.trial_merge;
  if (trial !== null) {
    if (trial.clean) lines.push(`trial merge onto ${trial.onto.slice(0, 12)}: clean (${trial.merged.length} branch${trial.merged.length === 1 ? '' : 'es'}); next: captain apply --task-card …`);
    else for (const c of trial.conflicts) lines.push(`trial merge onto ${trial.onto.slice(0, 12)}: ${c.delegation_id} CONFLICTS in ${c.files.join(', ')}`);
  }
  for (const e of report.errors) lines.push(`warning: could not collect ${e.delegation_id}: ${e.error}`);
  return lines;
};
