/**
 * The human rendering of `captain runs`: one row per run, newest first, at most 100 columns wide
 * (the title gives up width first, then the worker counts; empty TOKENS / COST columns are left out).
 */
import pc from 'picocolors';
import { TEXT_TABLE_WIDTH } from '../../config/defaults.js';
import { describePhaseCounts } from '../../lifecycle/phase.js';
import type { RunList, RunListEntry } from '../../ops/run-list.js';
import { fitTable, formatLongAge, oneLine, paint, type Style } from './format.js';
import { formatBytes } from '../../worktree/disk.js';

const OUTCOME_COLOURS: Record<string, (s: string) => string> = {
  running: pc.cyan,
  fanned_in: pc.green,
  failed: pc.red,
  idle: pc.dim,
  unreadable: pc.yellow,
};

/** 950, 12.3k, 4.5M: a token count in at most 6 characters. */
const compactCount = (n: number): string =>
  n < 1_000 ? String(n) : n < 1_000_000 ? `${(n / 1_000).toFixed(n < 10_000 ? 1 : 0)}k` : `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;

const outcomeLabel = (outcome: string): string => outcome.replace(/_/g, ' ');

const row = (run: RunListEntry, style: Style): string[] => [
  oneLine(run.title ?? ''),
  paint(style, OUTCOME_COLOURS[run.outcome] ?? ((s) => s), outcomeLabel(run.outcome)),
  run.error !== null ? run.error : `${describePhaseCounts(run.counts, 'none')}${run.record_errors > 0 ? ` (+${run.record_errors} unreadable)` : ''}`,
  formatLongAge(run.age_ms),
  run.total_tokens > 0 ? compactCount(run.total_tokens) : '-',
  run.cost_usd === null ? '-' : `$${run.cost_usd.toFixed(2)}`,
  run.worktree_disk === null || run.worktree_disk.worktrees === 0 ? '-' : formatBytes(run.worktree_disk.bytes),
  run.run_id,
];

/** The whole `captain runs` text. */
export const renderRunsText = (list: RunList, style: Style, opts: { width?: number } = {}): string => {
  if (list.runs.length === 0) return `no runs in ${list.runs_dir}; start one with \`captain start --title ...\``;
  const head = paint(style, pc.bold, `${list.runs.length} run${list.runs.length === 1 ? '' : 's'} in ${list.runs_dir} (newest first)`);
  const table = fitTable(['TITLE', 'OUTCOME', 'WORKERS', 'AGE', 'TOKENS', 'COST', 'DISK', 'RUN'], list.runs.map((r) => row(r, style)), style, {
    width: opts.width ?? TEXT_TABLE_WIDTH,
    flex: [{ index: 0, min: 12, max: 40 }, { index: 2, min: 14, order: 1 }],
    hideEmpty: [4, 5, 6],
  });
  return `${head}\n${table}\nnext: captain status --run-dir <runs dir>/<RUN>   (without --run-dir: the newest run)`;
};
