/** `git diff --numstat -z --no-renames` output → a diffstat (files, lines added and removed, per file). */
import { DIFFSTAT_MAX_FILES } from '../config/defaults.js';
import type { Diffstat, FileChange } from './record.js';

/** The diffstat; `per_file` keeps the first `maxFiles` files (then `per_file_truncated: true`), the totals count all. */
export const parseNumstat = (output: string, maxFiles: number = DIFFSTAT_MAX_FILES): Diffstat => {
  const perFile: FileChange[] = [];
  for (const entry of output.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(entry.replace(/^\n/, ''));
    if (match === null) continue;
    const binary = match[1] === '-' || match[2] === '-';
    perFile.push({ path: match[3]!, added: binary ? 0 : Number(match[1]), removed: binary ? 0 : Number(match[2]), binary });
  }
  return {
    files: perFile.length,
    added: perFile.reduce((sum, f) => sum + f.added, 0),
    removed: perFile.reduce((sum, f) => sum + f.removed, 0),
    per_file: perFile.slice(0, maxFiles),
    ...(perFile.length > maxFiles ? { per_file_truncated: true } : {}),
  };
};

/** `3 files, +12 -4` */
export const formatDiffstat = (d: Pick<Diffstat, 'files' | 'added' | 'removed'>): string => `${d.files} file${d.files === 1 ? '' : 's'}, +${d.added} -${d.removed}`;
