/** Text for people: a delegation's worktree line, the fan-in worktree report, clean and apply results. */
import type { JsonObject } from '../../util/json.js';
import { isJsonObject } from '../../util/json.js';
import { formatDiffstat } from '../../worktree/diffstat.js';

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

export { isWorktreeReport, renderWorktreeReport } from '../../ops/worktree-fan-in.js';
