/**
 * `captain top` as plain lines (stdout not a TTY, or `--once`): a header with counts, fan-in and
 * usage, then one table row per worker.
 */
import pc from 'picocolors';
import { formatUsd } from '../kinds/prices.js';
import { formatBytes } from '../worktree/disk.js';
import { fitTable, formatLongAge, paint, paintState, type Style } from '../cli/render/format.js';
import type { AgeLevel, TopRow } from './view-model.js';
import type { RunView } from './load.js';

const AGE_COLOURS: Record<AgeLevel, (s: string) => string> = { fresh: pc.green, quiet: pc.yellow, stale: pc.red, ended: pc.dim };

/** "12s / 22.5s quiet / 45.0s stale", or "ended 3m 02s". */
export const ageText = (row: TopRow): string => {
  if (row.terminal) return row.age_ms === null ? 'ended' : `ended ${formatLongAge(row.age_ms)}`;
  const age = formatLongAge(row.age_ms);
  if (row.stale_after_ms === null) return age;
  return `${age} (q ${formatLongAge(row.quiet_after_ms)}, s ${formatLongAge(row.stale_after_ms)})`;
};

/** {@link ageText} without the spaces inside ages: "34.7s q22.5s s45.0s". */
export const compactAgeText = (row: TopRow): string => {
  const tight = (ms: number | null): string => formatLongAge(ms).replace(/ (?=[a-z]+$)/, '');
  if (row.terminal) return row.age_ms === null ? 'ended' : `ended ${tight(row.age_ms)}`;
  if (row.stale_after_ms === null) return tight(row.age_ms);
  return `${tight(row.age_ms)} q${tight(row.quiet_after_ms)} s${tight(row.stale_after_ms)}`;
};

export const usageText = (tokens: number | null, cost: number | null): string =>
  [tokens === null || tokens === 0 ? '' : `${tokens.toLocaleString('en-US')} tok`, cost === null ? '' : formatUsd(cost)].filter((s) => s !== '').join(' ');

/** "worktrees: 2, 12.3 MB", or '' without worktrees. */
export const worktreesText = (view: RunView): string =>
  view.worktrees === null || view.worktrees.worktrees === 0 ? '' : `worktrees: ${view.worktrees.worktrees}, ${formatBytes(view.worktrees.bytes)}`;

/** The header lines: run, counts, fan-in, usage, worktree disk use. */
export const headerLines = (view: RunView): string[] => [
  [`run ${view.run_id || view.run_dir}`, view.counts, `fan-in: ${view.fan_in}`, usageText(view.tokens, view.cost_usd), worktreesText(view)].filter((s) => s !== '').join('  ·  '),
  ...view.errors.map((e) => `unreadable: ${e.path}: ${e.reason}`),
];

export const rowCells = (row: TopRow, style: Style): string[] => [
  paintState(style, row.phase),
  row.kind,
  row.title,
  paint(style, AGE_COLOURS[row.age_level], ageText(row)),
  row.failure && row.reason !== null ? `${row.reason}` : (row.last_event ?? ''),
  usageText(row.tokens, row.cost_usd),
  row.retry ?? '',
  row.delegation_id,
];

/** The whole snapshot as text, at most `width` columns wide. */
export const renderPlain = (view: RunView, style: Style, width: number): string => {
  const lines = headerLines(view);
  if (view.rows.length === 0) return [...lines, '  no workers yet'].join('\n');
  const table = fitTable(
    ['STATE', 'KIND', 'TITLE', 'AGE', 'LAST EVENT', 'USAGE', 'RETRY', 'DELEGATION'],
    view.rows.map((row) => rowCells(row, style)),
    style,
    { width, flex: [{ index: 2, min: 12, max: 40 }, { index: 4, min: 16, order: -1 }, { index: 6, min: 8 }], hideEmpty: [5, 6] },
  );
  return [...lines, table].join('\n');
};
