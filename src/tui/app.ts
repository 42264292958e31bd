/**
 * `captain top` on a terminal: reads the runs (load.ts), composes the screen (frame.ts), draws
 * with ink (ink-screen.ts), and acts on keys through the library operations (reclaim, cancel).
 * Redraws when a run changes (watchRun), once a second (ages), and on resize.
 */
import { delegationPath } from '../store/paths.js';
import { watchRun } from '../store/watch-run.js';
import type { RunContext } from '../ops/context.js';
import { reclaimDelegation } from '../ops/reclaim.js';
import { followUp } from '../ops/follow-up.js';
import { cancelDelegation, getWorkerResult } from '../ops/worker.js';
import { describeError } from '../errors.js';
import { asString } from '../util/json.js';
import { TOP_TICK_MS, TOP_DETAIL_LOG_BYTES } from '../config/defaults.js';
import { loadRunView, readLogTail, type RunView } from './load.js';
import { composeFrame, initialTopState, selectedIndex, shownRows, type DetailContent, type ShownRow, type TopState } from './frame.js';
import { openInkScreen, type InkScreen } from './ink-screen.js';


/** The detail pane's content: the worker's log (as `logs` renders it) and its result or failure reason. */
const readDetail = (ctx: RunContext, row: ShownRow): DetailContent => {
  let log: string[];
  try {
    log = readLogTail(ctx, row.delegation_id, TOP_DETAIL_LOG_BYTES);
  } catch (error) {
    log = [`(log unreadable: ${describeError(error)})`];
  }
  let outcome: string | null = row.reason;
  if (outcome === null && row.terminal) {
    try {
      const result = getWorkerResult(ctx, row.delegation_id);
      outcome = asString(result.final_message) ?? asString(result.failure_reason) ?? null;
    } catch {
      outcome = null;
    }
  }
  return { log, outcome };
};

export interface InteractiveTopOptions {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

export const runInteractiveTop = async (contexts: readonly RunContext[], opts: InteractiveTopOptions = {}): Promise<void> => {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const style = { color: process.env.NO_COLOR === undefined };
  let screen: InkScreen | undefined;
  const controller = new AbortController();
  let state: TopState = initialTopState();
  let views: RunView[] = [];
  const reload = (): void => {
    views = contexts.map((ctx) => loadRunView(ctx));
  };
  const currentRow = (): ShownRow | undefined => {
    const rows = shownRows(views, state.filter);
    return rows[selectedIndex(rows, state)];
  };
  const contextOf = (row: ShownRow): RunContext | undefined => contexts.find((c) => c.runDir === row.run_dir);
  const render = (): void => {
    // One line short of the terminal: ink redraws everything for output as tall as the screen.
    const size = { columns: output.columns || 80, rows: Math.max((output.rows || 24) - 1, 1) };
    const row = currentRow();
    const ctx = row === undefined ? undefined : contextOf(row);
    const detail = state.mode === 'detail' && row !== undefined && ctx !== undefined ? readDetail(ctx, row) : null;
    screen?.draw(composeFrame(views, state, size, style, detail), size.rows);
  };
  const refresh = (): void => {
    try {
      reload();
    } catch (error) {
      // Keep the last views on screen; say why they are not fresh.
      state = { ...state, message: `cannot read the run: ${describeError(error)}` };
    }
    render();
  };
  const select = (delta: number): void => {
    const rows = shownRows(views, state.filter);
    if (rows.length === 0) return;
    const next = rows[Math.min(Math.max(selectedIndex(rows, state) + delta, 0), rows.length - 1)] as ShownRow;
    state = { ...state, selected: { run_dir: next.run_dir, delegation_id: next.delegation_id }, message: null };
  };
  const act = async (what: 'reclaim' | 'cancel', row: ShownRow): Promise<void> => {
    const ctx = contextOf(row);
    if (ctx === undefined) return;
    try {
      if (what === 'cancel') {
        const result = await cancelDelegation(ctx, row.delegation_id, 'cancelled from captain top');
        state = { ...state, message: result.cancelled ? `cancelled ${row.delegation_id}` : `${row.delegation_id} not cancelled: ${result.status}` };
      } else {
        const result = await reclaimDelegation(ctx, delegationPath(ctx.runDir, row.delegation_id));
        state = { ...state, message: result === null ? `${row.delegation_id} does not need reclaim (only stale or timed-out workers)` : `reclaimed ${row.delegation_id}: ${result.termination}` };
      }
    } catch (error) {
      state = { ...state, message: `${what} ${row.delegation_id} failed: ${describeError(error)}` };
    }
    refresh();
  };

  const sendFollowUp = async (row: ShownRow, prompt: string): Promise<void> => {
    const ctx = contextOf(row);
    if (ctx === undefined) return;
    try {
      const result = await followUp(ctx, { delegationId: row.delegation_id, prompt });
      state = { ...state, message: `follow-up ${result.delegation_id} started for ${row.delegation_id}` };
    } catch (error) {
      state = { ...state, message: `follow-up to ${row.delegation_id} failed: ${describeError(error)}` };
    }
    refresh();
  };

  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const onKey = (key: string): void => {
    if (state.mode === 'filter') {
      if (key === '\r' || key === '\n') state = { ...state, mode: 'list' };
      else if (key === '\u001b') state = { ...state, mode: 'list', filter: '' };
      else if (key === '\u007f' || key === '\b') state = { ...state, filter: state.filter.slice(0, -1) };
      else if (key >= ' ' && !key.startsWith('\u001b')) state = { ...state, filter: state.filter + key };
      return render();
    }
    if (state.mode === 'follow-up') {
      const prompt = state.prompt ?? '';
      if (key === '\r' || key === '\n') {
        const row = currentRow();
        state = { ...state, mode: 'list', prompt: '' };
        if (row !== undefined && prompt.trim() !== '') return void sendFollowUp(row, prompt);
      } else if (key === '\u001b') state = { ...state, mode: 'list', prompt: '', message: 'follow-up: dropped' };
      else if (key === '\u007f' || key === '\b') state = { ...state, prompt: prompt.slice(0, -1) };
      else if (key >= ' ' && !key.startsWith('\u001b')) state = { ...state, prompt: prompt + key };
      return render();
    }
    if (state.mode === 'confirm-cancel') {
      const row = currentRow();
      state = { ...state, mode: 'list' };
      if ((key === 'y' || key === 'Y') && row !== undefined) return void act('cancel', row);
      state = { ...state, message: 'cancel: kept' };
      return render();
    }
    switch (key) {
      case 'q':
      case '\u0003':
        return finish();
      case '\u001b[A':
      case 'k':
        select(-1);
        break;
      case '\u001b[B':
      case 'j':
        select(1);
        break;
      case '\r':
      case '\n':
        if (currentRow() !== undefined) state = { ...state, mode: 'detail', message: null };
        break;
      case '\u001b':
      case '\u007f':
        state = { ...state, mode: 'list', message: null };
        break;
      case '/':
        state = { ...state, mode: 'filter', message: null };
        break;
      case 'f': {
        const row = currentRow();
        if (row === undefined) break;
        if (!row.terminal) state = { ...state, message: `${row.delegation_id} is still ${row.phase}: follow up once it has ended` };
        else state = { ...state, mode: 'follow-up', prompt: '', selected: { run_dir: row.run_dir, delegation_id: row.delegation_id } };
        break;
      }
      case 'c': {
        const row = currentRow();
        if (row === undefined) break;
        if (row.terminal) state = { ...state, message: `${row.delegation_id} already ended (${row.phase})` };
        else state = { ...state, mode: 'confirm-cancel', selected: { run_dir: row.run_dir, delegation_id: row.delegation_id } };
        break;
      }
      case 'r': {
        const row = currentRow();
        if (row !== undefined) return void act('reclaim', row);
        break;
      }
      default:
        return;
    }
    render();
  };
  const onResize = (): void => render();

  reload();
  const first = currentRow();
  if (first !== undefined) state = { ...state, selected: { run_dir: first.run_dir, delegation_id: first.delegation_id } };
  screen = await openInkScreen({ stdin: input, stdout: output, onKey });
  output.on('resize', onResize);
  // Leave the terminal as found when stopped by a signal.
  const onSignal = (): void => finish();
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.on(signal, onSignal);
  const tick = setInterval(refresh, TOP_TICK_MS);
  const watches = contexts.map((ctx) => watchRun(ctx.runDir, { signal: controller.signal }));
  for (const watch of watches) {
    void (async () => {
      for await (const _change of watch) refresh();
    })().catch(() => undefined);
  }
  try {
    render();
    await done;
  } finally {
    controller.abort();
    clearInterval(tick);
    for (const w of watches) w.close();
    output.off('resize', onResize);
    for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) process.off(signal, onSignal);
    screen.close();
  }
};
