/**
 * The pure screen of `captain top`: the lines to show for a state, a terminal size and the runs'
 * view-models. No terminal, no disk: the app loop reads, this composes, the screen writer draws.
 */
import pc from 'picocolors';
import { paint, paintState, type Style } from '../cli/render/format.js';
import type { RunView } from './load.js';
import { ageText, compactAgeText, usageText, worktreesText } from './plain.js';
import { phaseLabel } from '../lifecycle/phase.js';
import { filterRows, type TopRow } from './view-model.js';

export type TopMode = 'list' | 'detail' | 'filter' | 'confirm-cancel' | 'follow-up';

export interface TopState {
  mode: TopMode;
  /** The selected worker (by delegation id and run), kept across refreshes. */
  selected: { run_dir: string; delegation_id: string } | null;
  filter: string;
  /** The follow-up prompt being typed (mode `follow-up`). */
  prompt?: string;
  /** A one-line message for the footer (the outcome of the last key). */
  message: string | null;
}

/** What the detail pane shows for the selected worker. */
export interface DetailContent {
  log: string[];
  /** The result text, or the failure reason. */
  outcome: string | null;
}

export interface ShownRow extends TopRow {
  run_dir: string;
  run_id: string;
}

export const initialTopState = (): TopState => ({ mode: 'list', selected: null, filter: '', message: null });

/** Every row shown (filter applied), runs in the order given. */
export const shownRows = (views: readonly RunView[], filter: string): ShownRow[] =>
  views.flatMap((view) => filterRows(view.rows, filter).map((row) => ({ ...row, run_dir: view.run_dir, run_id: view.run_id })));

/** The index of the selected row (the first when none or gone). */
export const selectedIndex = (rows: readonly ShownRow[], state: TopState): number => {
  if (state.selected === null) return 0;
  const i = rows.findIndex((r) => r.delegation_id === state.selected?.delegation_id && r.run_dir === state.selected.run_dir);
  return i < 0 ? 0 : i;
};

/** `text` cut or padded to exactly `width` characters. */
export const fit = (text: string, width: number): string => {
  const flat = text.replace(/\s+/g, ' ');
  if (width <= 0) return '';
  return flat.length <= width ? flat.padEnd(width) : `${flat.slice(0, Math.max(width - 1, 0))}…`;
};

const FOOTER_KEYS_SHORT = '↑↓ enter r c f / q quit';
const FOOTER_KEYS = '↑↓ select  enter detail  r reclaim  c cancel  f follow-up  / filter  q quit';

/** The footer keeps its spacing (fit would fold it). */
const footerText = (text: string, width: number): string => (text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`);

const footerLine = (state: TopState, width: number): string => {
  if (state.mode === 'filter') return fit(`filter: ${state.filter}▏ (enter to apply, esc to clear)`, width);
  if (state.mode === 'follow-up') return fit(`follow-up to ${state.selected?.delegation_id ?? '?'}: ${state.prompt ?? ''}▏ (enter to send, esc to drop)`, width);
  if (state.mode === 'confirm-cancel') return fit(`cancel ${state.selected?.delegation_id ?? '?'}? y to confirm, any other key to keep it`, width);
  if (state.message !== null) return fit(state.message, width);
  const keys = state.mode === 'detail' ? `esc back  ${FOOTER_KEYS}` : FOOTER_KEYS;
  return footerText(keys.length <= width ? keys : FOOTER_KEYS_SHORT, width);
};

interface Columns {
  state: number;
  kind: number;
  title: number;
  age: number;
  usage: number;
  event: number;
}

const columnsFor = (width: number): Columns => {
  const usage = width >= 100 ? 14 : 0;
  const fixed = 2 + 10 + 1 + 7 + 1 + 22 + 1 + (usage > 0 ? usage + 1 : 0);
  const rest = Math.max(width - fixed, 10);
  const title = Math.max(Math.min(Math.floor(rest * 0.45), 40), 8);
  return { state: 10, kind: 7, title, age: 22, usage, event: Math.max(rest - title - 1, 0) };
};

const rowLine = (row: ShownRow, selected: boolean, c: Columns, style: Style, width: number): string => {
  const colourless = rowCellsLine(row, selected, c, { color: false });
  // Too narrow for the fixed columns: cut the plain line (colour codes cannot be cut safely).
  if (colourless.length > width) return colourless.slice(0, width);
  return rowCellsLine(row, selected, c, style);
};

const rowCellsLine = (row: ShownRow, selected: boolean, c: Columns, style: Style): string => {
  const note = row.failure && row.reason !== null ? row.reason : (row.retry !== null && row.last_event === null ? row.retry : (row.last_event ?? ''));
  const cells = [
    selected ? '> ' : '  ',
    paint(style, (t) => paintState(style, row.phase).replace(row.phase, t), fit(phaseLabel(row.phase), c.state)),
    ' ',
    fit(row.kind, c.kind),
    ' ',
    fit(row.title, c.title),
    ' ',
    paint(style, row.age_level === 'stale' ? pc.red : row.age_level === 'quiet' ? pc.yellow : row.age_level === 'ended' ? pc.dim : pc.green, fit(compactAgeText(row), c.age)),
    ' ',
    ...(c.usage > 0 ? [fit(usageText(row.tokens, row.cost_usd), c.usage), ' '] : []),
    fit(note, c.event),
  ];
  const line = cells.join('');
  return selected && style.color ? pc.inverse(line) : line;
};

/** Two lines: what is shown and its fan-in; then the workers by phase, usage and worktree disk use. */
const headerOf = (views: readonly RunView[]): [string, string] => {
  if (views.length === 1) {
    const v = views[0] as RunView;
    return [
      `captain top · run ${v.run_id || v.run_dir} · fan-in: ${v.fan_in}`,
      [v.counts, usageText(v.tokens, v.cost_usd), worktreesText(v)].filter((s) => s !== '').join(' · '),
    ];
  }
  const workers = views.reduce((n, v) => n + v.rows.length, 0);
  const tokens = views.reduce((n, v) => n + v.tokens, 0);
  return [
    `captain top · ${views.length} runs · ${workers} workers${tokens > 0 ? ` · ${usageText(tokens, null)}` : ''}`,
    views.map((v) => `${v.run_id}: ${v.fan_in}`).join(' · '),
  ];
};

/** The list screen: header, column titles, one line per worker (scrolled to keep the selection), footer. */
const listLines = (views: readonly RunView[], state: TopState, size: { columns: number; rows: number }, style: Style): string[] => {
  const width = size.columns;
  const rows = shownRows(views, state.filter);
  const c = columnsFor(width);
  const [title, summary] = headerOf(views);
  const head = [
    paint(style, pc.bold, fit(title, width)),
    fit(summary, width),
    ['  ', fit('STATE', c.state), ' ', fit('KIND', c.kind), ' ', fit('TITLE', c.title), ' ', fit('AGE (quiet, stale)', c.age), ' ', ...(c.usage > 0 ? [fit('USAGE', c.usage), ' '] : []), fit('LAST EVENT / REASON', c.event)].join('').slice(0, width),
  ];
  const room = Math.max(size.rows - head.length - 1, 1);
  const selected = selectedIndex(rows, state);
  const top = Math.min(Math.max(selected - room + 1, 0), Math.max(rows.length - room, 0));
  const body: string[] = [];
  if (rows.length === 0) body.push(fit(state.filter === '' ? '  no workers yet' : `  no worker matches "${state.filter}"`, width));
  for (let i = top; i < Math.min(rows.length, top + room); i++) body.push(rowLine(rows[i] as ShownRow, i === selected, c, style, width));
  while (body.length < room) body.push(fit('', width));
  return [...head, ...body, footerLine(state, width)];
};

/** The detail screen: the worker's facts, its outcome, then the tail of its log that fits. */
const detailLines = (views: readonly RunView[], state: TopState, size: { columns: number; rows: number }, style: Style, detail: DetailContent | null): string[] => {
  const width = size.columns;
  const rows = shownRows(views, state.filter);
  const row = rows[selectedIndex(rows, state)];
  if (row === undefined) return listLines(views, { ...state, mode: 'list' }, size, style);
  const head = [
    paint(style, pc.bold, fit(`worker ${row.delegation_id} · ${row.kind} · ${row.title}`, width)),
    `${paintState(style, row.phase)} ${fit(`· ${ageText(row)}${usageText(row.tokens, row.cost_usd) === '' ? '' : ` · ${usageText(row.tokens, row.cost_usd)}`}${row.retry === null ? '' : ` · ${row.retry}`}`, Math.max(width - row.phase.length - 1, 0))}`,
    fit(detail?.outcome === null || detail?.outcome === undefined ? (row.terminal ? 'no result' : 'running: no result yet') : `${row.failure ? 'reason' : 'result'}: ${detail.outcome}`, width),
    fit('─── log ───', width),
  ];
  const room = Math.max(size.rows - head.length - 1, 1);
  const log = detail?.log ?? [];
  const body = log.slice(Math.max(log.length - room, 0)).map((line) => fit(line, width));
  if (body.length === 0) body.push(fit('(no events yet)', width));
  while (body.length < room) body.push(fit('', width));
  return [...head, ...body, footerLine(state, width)];
};

/** Exactly `size.rows` lines for the state. */
export const composeFrame = (views: readonly RunView[], state: TopState, size: { columns: number; rows: number }, style: Style, detail: DetailContent | null = null): string[] => {
  const lines = state.mode === 'detail' || (state.mode === 'confirm-cancel' && detail !== null) ? detailLines(views, state, size, style, detail) : listLines(views, state, size, style);
  return lines.slice(0, size.rows);
};
