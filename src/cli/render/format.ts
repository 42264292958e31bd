/** Small text helpers shared by the human renderers. */
import pc from 'picocolors';
import { isWorkerState, type WorkerState } from '../../lifecycle/states.js';

export interface Style {
  color: boolean;
}

export const paint = (style: Style, fn: (s: string) => string, text: string): string => (style.color ? fn(text) : text);

/** "850 ms", "12.3 s", "4m 05s", "2h 10m". */
export const formatAge = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${String(Math.floor((ms % 60_000) / 1_000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
};

export const truncate = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, Math.max(width - 1, 0))}…`;

const visibleLength = (text: string): number => text.replace(/\u001b\[[0-9;]*m/g, '').length;

/** Left-aligned columns; cells may hold colour codes. */
export const table = (header: string[], rows: string[][], style: Style): string => {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [paint(style, pc.bold, line(header)), ...rows.map(line)].join('\n');
};

const STATE_COLOURS: Record<WorkerState, (s: string) => string> = {
  running_active: pc.green,
  running: pc.green,
  running_quiet: pc.yellow,
  launching: pc.cyan,
  queued: pc.dim,
  stale: pc.red,
  timed_out: pc.red,
  returned: pc.green,
  failed: pc.red,
  cancelled: pc.magenta,
};

/** Phases people see beyond the lifecycle states: a child status, or a reclaimed worker. */
const PHASE_COLOURS: Readonly<Record<string, (s: string) => string>> = { completed: pc.green, reclaimed: pc.red };

/** Paints a state's (or phase's) text; an unrecognized state or a placeholder stays unpainted. */
export const paintState = (style: Style, state: string): string =>
  paint(style, isWorkerState(state) ? STATE_COLOURS[state] : (PHASE_COLOURS[state] ?? ((s) => s)), state);

/** Like {@link formatAge}, with days past 48 hours ("3d 04h"). */
export const formatLongAge = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || ms < 48 * 3_600_000) return formatAge(ms);
  const hours = Math.floor(ms / 3_600_000);
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
};

/** Text on one line: runs of whitespace (newlines included) become one space. */
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** A column that gives up width when the table is too wide (its cells must carry no colour codes). */
export interface FlexColumn {
  index: number;
  /** It never shrinks below this. */
  min: number;
  /** It never grows past this, even with room to spare. */
  max?: number;
  /** Lower gives up width first (down to its `min`) before higher ones shrink. @default 0 */
  order?: number;
}

/**
 * Like {@link table}, but at most `width` columns wide (indent included) when the flexible columns
 * can shrink that far: flexible columns give up width in `order`, the widest first among equals,
 * and their cells are cut with "…". Columns listed in `hideEmpty` are left out when no row has a
 * value there ("" or "-"). Every line is indented by `indent` spaces.
 */
export const fitTable = (
  header: string[],
  rows: string[][],
  style: Style,
  opts: { width: number; indent?: number; flex: FlexColumn[]; hideEmpty?: number[] },
): string => {
  const hidden = new Set((opts.hideEmpty ?? []).filter((i) => rows.every((r) => (r[i] ?? '') === '' || r[i] === '-')));
  if (hidden.size > 0) {
    const keep = (cells: string[]): string[] => cells.filter((_, i) => !hidden.has(i));
    const shift = (index: number): number => index - [...hidden].filter((h) => h < index).length;
    return fitTable(keep(header), rows.map(keep), style, {
      ...opts,
      hideEmpty: [],
      flex: opts.flex.filter((f) => !hidden.has(f.index)).map((f) => ({ ...f, index: shift(f.index) })),
    });
  }
  const indent = opts.indent ?? 0;
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  for (const f of opts.flex) if (f.max !== undefined) widths[f.index] = Math.min(widths[f.index] ?? 0, Math.max(f.max, f.min));
  const total = (): number => indent + widths.reduce((a, b) => a + b, 0) + 2 * Math.max(widths.length - 1, 0);
  const orders = [...new Set(opts.flex.map((f) => f.order ?? 0))].sort((a, b) => a - b);
  for (const order of orders) {
    const group = opts.flex.filter((f) => (f.order ?? 0) === order);
    while (total() > opts.width) {
      let widest: FlexColumn | undefined;
      for (const f of group) {
        const w = widths[f.index] ?? 0;
        if (w > f.min && (widest === undefined || w > (widths[widest.index] ?? 0))) widest = f;
      }
      if (widest === undefined) break;
      widths[widest.index] = (widths[widest.index] ?? 0) - 1;
    }
  }
  const flexIndexes = new Set(opts.flex.map((f) => f.index));
  const cut = (cells: string[]): string[] => cells.map((c, i) => (flexIndexes.has(i) ? truncate(c, widths[i] ?? 0) : c));
  const pad = ' '.repeat(indent);
  const line = (cells: string[]): string =>
    pad +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(Math.max((widths[i] ?? 0) - visibleLength(cell), 0))))
      .join('  ')
      .trimEnd();
  return [paint(style, pc.bold, line(cut(header))), ...rows.map((r) => line(cut(r)))].join('\n');
};

/** The visible width of text that may hold colour codes. */
export const displayWidth = visibleLength;
