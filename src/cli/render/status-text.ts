/**
 * The human rendering of `captain status`: one block per task card, a table of its workers that
 * fits the width it is given (100 columns by default): title first, state, age, a note (pid and
 * reclaim need while active; the failure reason once failed), the delegation id.
 */
import pc from 'picocolors';
import { TEXT_TABLE_WIDTH } from '../../config/defaults.js';
import { countPhases, describePhaseCounts, isFailurePhase, isTerminalPhase, workerPhase } from '../../lifecycle/phase.js';
import { asInteger, asString, getKey, type Json, type JsonObject } from '../../util/json.js';
import { parseRfc3339Millis } from '../../util/time.js';
import { fitTable, formatAge, formatLongAge, oneLine, paint, paintState, truncate, type Style } from './format.js';
import { formatUsd } from '../../kinds/prices.js';

/** What the table needs beyond the status payload. */
export interface StatusTextOptions {
  /** Columns the table may use. @default 100 */
  width?: number;
  /** The clock, for "ended … ago" of finished workers. @default Date.now() */
  nowMs?: number;
  /** Why each failed / reclaimed / cancelled worker ended, by delegation id (read from the records by the command). */
  reasons?: ReadonlyMap<string, string>;
}


/** The phase of a `worker_visibility.workers` entry (a reclaimed worker is `reclaimed`). */
export const phaseOfVisibleWorker = (worker: Json): string => {
  const lifecycle = getKey(worker, 'worker_lifecycle');
  if (lifecycle === undefined || lifecycle === null) return workerPhase(null, asString(getKey(worker, 'status')));
  return workerPhase({ state: asString(getKey(lifecycle, 'state')), reclaim_state: asString(getKey(lifecycle, 'reclaim_state')) });
};

const workersOf = (visibility: Json | undefined): Json[] => {
  const workers = getKey(visibility, 'workers');
  return Array.isArray(workers) ? workers : [];
};

/** "2 running · 1 quiet · 1 reclaimed": how many workers are in each phase (no worker counted twice). */
export const renderCountsLine = (visibility: Json | undefined): string =>
  describePhaseCounts(countPhases(workersOf(visibility).map(phaseOfVisibleWorker)));

/** Active: since its last progress; finished: since it ended ("ended 3m 02s"), frozen at its end. */
const ageCell = (lifecycle: Json | undefined, phase: string, nowMs: number): string => {
  if (!isTerminalPhase(phase)) return formatLongAge(asInteger(getKey(lifecycle, 'elapsed_since_progress_ms')));
  const endedAt = parseRfc3339Millis(getKey(lifecycle, 'returned_at'));
  return endedAt === undefined ? 'ended' : `ended ${formatLongAge(Math.max(nowMs - endedAt, 0))}`;
};

/** Active: its pid and whether it needs reclaim; finished: why it failed (nothing when it returned). */
const noteCell = (worker: Json, lifecycle: Json | undefined, phase: string, reasons: ReadonlyMap<string, string> | undefined): string => {
  if (isTerminalPhase(phase)) {
    if (!isFailurePhase(phase)) return '';
    return oneLine(reasons?.get(asString(getKey(worker, 'delegation_id')) ?? '') ?? '');
  }
  const held = phase === 'queued' ? reasons?.get(asString(getKey(worker, 'delegation_id')) ?? '') : undefined;
  if (held !== undefined) return oneLine(held);
  const pid = getKey(lifecycle, 'process_id');
  const reclaim = asString(getKey(lifecycle, 'reclaim_state'));
  return [reclaim !== undefined && reclaim !== 'not_needed' ? reclaim : '', typeof pid === 'number' ? `pid ${pid}` : ''].filter((s) => s !== '').join(', ');
};

const workerRow = (worker: Json, style: Style, opts: StatusTextOptions): string[] => {
  const lifecycle = getKey(worker, 'worker_lifecycle');
  const phase = phaseOfVisibleWorker(worker);
  return [
    oneLine(asString(getKey(worker, 'summary')) ?? ''),
    paintState(style, phase),
    ageCell(lifecycle, phase, opts.nowMs ?? Date.now()),
    noteCell(worker, lifecycle, phase, opts.reasons),
    asString(getKey(worker, 'delegation_id')) ?? '?',
  ];
};

/** "quiet / stale / timeout: 22.5 s / 45.0 s / 45.0 s" for the active workers (each distinct set once). */
const thresholdsLine = (workers: Json[]): string | null => {
  const sets = new Map<string, number>();
  for (const worker of workers) {
    if (isTerminalPhase(phaseOfVisibleWorker(worker))) continue;
    const lifecycle = getKey(worker, 'worker_lifecycle');
    if (lifecycle === undefined || lifecycle === null) continue;
    const set = ['quiet_after_ms', 'stale_after_ms', 'timeout_after_ms'].map((k) => formatAge(asInteger(getKey(lifecycle, k)))).join(' / ');
    sets.set(set, (sets.get(set) ?? 0) + 1);
  }
  if (sets.size === 0) return null;
  const list = [...sets].map(([set, n]) => (sets.size === 1 ? set : `${set} (${n})`)).join('; ');
  return `thresholds (quiet / stale / timeout): ${list}`;
};

/** One task card's visibility block. */
export const renderVisibility = (visibility: JsonObject | null, reclaimPlan: JsonObject | null, style: Style, opts: StatusTextOptions = {}): string => {
  if (visibility === null) return '  no workers';
  const workers = workersOf(visibility);
  const parts = [`  workers: ${workers.length} total${workers.length > 0 ? `: ${renderCountsLine(visibility)}` : ''}`];
  if (workers.length > 0) {
    const rows = workers.map((w) => workerRow(w, style, opts));
    const width = opts.width ?? TEXT_TABLE_WIDTH;
    parts.push(fitTable(['TITLE', 'STATE', 'AGE', 'NOTE', 'DELEGATION'], rows, style, { width, indent: 2, flex: [{ index: 0, min: 16, max: 40 }, { index: 3, min: 26 }] }));
    const thresholds = thresholdsLine(workers);
    if (thresholds !== null) parts.push(`  ${truncate(thresholds, width - 2)}`);
  }
  const planSummary = asString(getKey(reclaimPlan, 'summary'));
  if (planSummary) {
    const needed = (asInteger(getKey(reclaimPlan, 'reclaim_needed_worker_count')) ?? 0) > 0;
    parts.push(`  reclaim: ${needed ? paint(style, pc.red, planSummary) : planSummary}`);
    if (needed) parts.push(`  next: captain reclaim --run-dir <run dir>${asString(getKey(visibility, 'task_card_id')) ? ` --task-card ${asString(getKey(visibility, 'task_card_id'))}` : ''}`);
  }
  return parts.join('\n');
};

/** The cost part of a usage line: "$0.012", "≥ $0.012 + 2 workers' cost unknown", "cost unknown". */
export const renderCostTotal = (usage: Json | undefined): string | null => {
  const cost = getKey(usage, 'cost_usd');
  const unknown = asInteger(getKey(usage, 'cost_unknown_workers')) ?? 0;
  const known = typeof cost === 'number' ? formatUsd(cost) : null;
  if (unknown === 0) return known;
  const workers = `${unknown} worker${unknown === 1 ? '' : 's'}`;
  return known === null ? `cost unknown (${workers})` : `≥ ${known} + ${workers}' cost unknown`;
};

/** "1,234 tokens (900 in, 300 out), $0.012" */
export const renderUsageTotals = (usage: Json | undefined): string | null => {
  const total = asInteger(getKey(usage, 'total_tokens')) ?? 0;
  const cost = renderCostTotal(usage);
  if (total === 0 && cost === null) return null;
  const n = (key: string): string => (asInteger(getKey(usage, key)) ?? 0).toLocaleString('en-US');
  return `${total.toLocaleString('en-US')} tokens (${n('input_tokens')} in, ${n('cached_input_tokens')} cached, ${n('output_tokens')} out)${cost !== null ? `, ${cost}` : ''}`;
};

export interface StatusView extends JsonObject {
  run_dir: string;
  task_card_id: string | null;
  worker_visibility: JsonObject | null;
  reclaim_plan: JsonObject | null;
  errors: JsonObject[];
}

/** The delegation ids of the failed, reclaimed, cancelled and queued workers shown (whose reasons the table prints). */
export const failedWorkerIds = (status: StatusView): string[] => {
  const visibilities = [status.worker_visibility, ...((getKey(status, 'task_cards') as Json[] | undefined) ?? []).map((c) => getKey(c, 'worker_visibility'))];
  const ids: string[] = [];
  for (const v of visibilities) {
    for (const w of workersOf(v ?? undefined)) {
      const id = asString(getKey(w, 'delegation_id'));
      const phase = phaseOfVisibleWorker(w);
      // Queued ones too: a held launch says why (see failureNoteOf).
      if (id !== undefined && (isFailurePhase(phase) || phase === 'queued')) ids.push(id);
    }
  }
  return ids;
};

/** The whole `captain status` text. */
export const renderStatusText = (status: StatusView, style: Style, opts: StatusTextOptions & { allCards?: boolean } = {}): string => {
  const out: string[] = [paint(style, pc.bold, `run ${status.run_dir}`)];
  const cards = getKey(status, 'task_cards');
  if (status.task_card_id !== null) {
    out.push(`task card ${status.task_card_id}`, renderVisibility(status.worker_visibility, status.reclaim_plan, style, opts));
    const cardUsage = renderUsageTotals(getKey(status, 'usage'));
    if (cardUsage) out.push(`  usage: ${cardUsage}`);
  } else if (Array.isArray(cards) && cards.length > 0) {
    out.push(opts.allCards ? `every task card (${cards.length}):` : 'no active task card; every task card:');
    for (const card of cards) {
      out.push(
        `task card ${asString(getKey(card, 'task_card_id')) ?? '?'}`,
        renderVisibility((getKey(card, 'worker_visibility') as JsonObject | null) ?? null, (getKey(card, 'reclaim_plan') as JsonObject | null) ?? null, style, opts),
      );
      const cardUsage = renderUsageTotals(getKey(card, 'usage'));
      if (cardUsage) out.push(`  usage: ${cardUsage}`);
    }
  } else {
    out.push('no task cards and no delegations in this run');
  }
  const runUsage = renderUsageTotals(getKey(status, 'run_usage'));
  if (runUsage) out.push(`run usage: ${runUsage}`);
  for (const error of status.errors) {
    out.push(paint(style, pc.yellow, `warning: skipped ${asString(getKey(error, 'path')) ?? '?'}: ${asString(getKey(error, 'reason')) ?? ''}`));
  }
  return out.join('\n');
};
