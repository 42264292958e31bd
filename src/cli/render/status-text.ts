/** The human rendering of `captain status`: one block per task card, a table per worker. */
import pc from 'picocolors';
import { asInteger, asString, getKey, type Json, type JsonObject } from '../../util/json.js';
import { formatUsd } from '../../kinds/prices.js';
import { formatAge, paint, paintState, table, truncate, type Style } from './format.js';

/** Visibility counts shown to people, in order, with their short labels. */
export const COUNT_ORDER: Array<[string, string]> = [
  ['total_worker_count', 'total'],
  ['active_worker_count', 'active'],
  ['queued_worker_count', 'queued'],
  ['launching_worker_count', 'launching'],
  ['running_worker_count', 'running'],
  ['running_quiet_worker_count', 'quiet'],
  ['stale_worker_count', 'stale'],
  ['timed_out_worker_count', 'timed out'],
  ['returned_worker_count', 'returned'],
  ['failed_worker_count', 'failed'],
  ['cancelled_worker_count', 'cancelled'],
];

/** Each worker counted once, by phase: its derived state, or `reclaimed` once reclaimed. */
const PHASE_ORDER: Array<[string, string]> = [
  ['queued', 'queued'],
  ['launching', 'launching'],
  ['running_active', 'running'],
  ['running', 'running'],
  ['running_quiet', 'quiet'],
  ['stale', 'stale'],
  ['timed_out', 'timed out'],
  ['returned', 'returned'],
  ['failed', 'failed'],
  ['reclaimed', 'reclaimed'],
  ['cancelled', 'cancelled'],
];

/** "2 running · 1 quiet · 1 reclaimed": how many workers are in each phase (no worker counted twice). */
export const renderCountsLine = (visibility: Json | undefined): string => {
  const workers = getKey(visibility, 'workers');
  const counts = new Map<string, number>();
  for (const worker of Array.isArray(workers) ? workers : []) {
    const lifecycle = getKey(worker, 'worker_lifecycle');
    const phase = asString(getKey(lifecycle, 'reclaim_state')) === 'reclaimed' ? 'reclaimed' : (asString(getKey(lifecycle, 'state')) ?? 'unknown');
    const label = PHASE_ORDER.find(([p]) => p === phase)?.[1] ?? phase;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const labels = [...new Set([...PHASE_ORDER.map(([, l]) => l), ...counts.keys()])];
  return labels.filter((l) => (counts.get(l) ?? 0) > 0).map((l) => `${counts.get(l)} ${l}`).join(' · ') || 'no workers yet';
};

const workerRow = (worker: Json, style: Style): string[] => {
  const lifecycle = getKey(worker, 'worker_lifecycle');
  const state = asString(getKey(lifecycle, 'state')) ?? '(no lifecycle)';
  const thresholds = ['quiet_after_ms', 'stale_after_ms', 'timeout_after_ms']
    .map((k) => formatAge(asInteger(getKey(lifecycle, k))))
    .join(' / ');
  const pid = getKey(lifecycle, 'process_id');
  const summary = asString(getKey(worker, 'summary')) ?? asString(getKey(lifecycle, 'summary')) ?? '';
  return [
    asString(getKey(worker, 'delegation_id')) ?? '?',
    paintState(style, state),
    asString(getKey(lifecycle, 'reclaim_state')) ?? '-',
    formatAge(asInteger(getKey(lifecycle, 'elapsed_since_progress_ms'))),
    lifecycle === undefined || lifecycle === null ? '-' : thresholds,
    pid === undefined || pid === null ? '-' : String(pid),
    truncate(summary, 60),
  ];
};

/** One task card's visibility block. */
export const renderVisibility = (visibility: JsonObject | null, reclaimPlan: JsonObject | null, style: Style): string => {
  if (visibility === null) return '  no workers';
  const counts = COUNT_ORDER.map(([key, label]) => [label, asInteger(getKey(visibility, key)) ?? 0] as const)
    .filter(([label, n]) => n > 0 || label === 'total')
    .map(([label, n]) => `${n} ${label}`)
    .join(', ');
  const workers = getKey(visibility, 'workers');
  const rows = (Array.isArray(workers) ? workers : []).map((w) => workerRow(w, style));
  const parts = [`  workers: ${counts}`];
  if (rows.length > 0) {
    const text = table(['DELEGATION', 'STATE', 'RECLAIM', 'SINCE PROGRESS', 'QUIET / STALE / TIMEOUT', 'PID', 'SUMMARY'], rows, style);
    parts.push(text.split('\n').map((l) => `  ${l}`).join('\n'));
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

/** The whole `captain status` text. */
export const renderStatusText = (status: StatusView, style: Style): string => {
  const out: string[] = [paint(style, pc.bold, `run ${status.run_dir}`)];
  const cards = getKey(status, 'task_cards');
  if (status.task_card_id !== null) {
    out.push(`task card ${status.task_card_id}`, renderVisibility(status.worker_visibility, status.reclaim_plan, style));
    const cardUsage = renderUsageTotals(getKey(status, 'usage'));
    if (cardUsage) out.push(`  usage: ${cardUsage}`);
  } else if (Array.isArray(cards) && cards.length > 0) {
    out.push('no active task card; every task card:');
    for (const card of cards) {
      out.push(
        `task card ${asString(getKey(card, 'task_card_id')) ?? '?'}`,
        renderVisibility((getKey(card, 'worker_visibility') as JsonObject | null) ?? null, (getKey(card, 'reclaim_plan') as JsonObject | null) ?? null, style),
      );
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
