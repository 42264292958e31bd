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

/** Paints a state's text (any text: an unrecognized state or a placeholder stays unpainted). */
export const paintState = (style: Style, state: string): string => paint(style, isWorkerState(state) ? STATE_COLOURS[state] : (s) => s, state);
