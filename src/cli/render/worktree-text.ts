/** Text for people: a delegation's worktree line, the fan-in worktree report, clean and apply results. */
import type { Json, JsonObject } from '../../util/json.js';
import { isJsonObject } from '../../util/json.js';
import { formatDiffstat } from '../../worktree/diffstat.js';
import type { WorktreeFanInReport } from '../../ops/worktree-fan-in.js';

/** `captain/run-1/dlg-… · 3 files, +12 -4 · patch: …/patches/dlg-….patch` */
export const renderWorktreeLine = (result: JsonObject): string => {
  const worktree = result.worktree as JsonObject;
  const stat = result.diffstat;
  const parts = [String(worktree.branch)];
  if (isJsonObject(stat)) parts.push(formatDiffstat({ files: Number(stat.files), added: Number(stat.added), removed: Number(stat.removed) }));
  else parts.push('not collected yet');
  if (typeof worktree.patch_file === 'string') parts.push(`patch: ${worktree.patch_file}`);
  if (typeof worktree.applied_at === 'string') parts.push(`applied ${worktree.applied_at}`);
  if (typeof worktree.removed_at === 'string') parts.push('worktree removed');
  else parts.push(`dir: ${String(worktree.path)}`);
  return parts.join(' · ');
};

export const isWorktreeReport = (value: Json | undefined): value is WorktreeFanInReport => isJsonObject(value) && Array.isArray(value.workers);

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
