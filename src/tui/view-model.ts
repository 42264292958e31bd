/**
 * The pure view-model of `captain top`: one row per worker from the delegation records as
 * persisted (the snapshot derivation: nothing refreshed, nothing written), the clock passed in.
 * What needs the disk (each worker's last event line, its failure reason) is read by the caller
 * and passed in by delegation id.
 */
import type { RuntimeConfig } from '../config/defaults.js';
import { deriveWorkerLifecycleView } from '../lifecycle/derive.js';
import { countPhases, describePhaseCounts, isFailurePhase, isTerminalPhase, workerPhase } from '../lifecycle/phase.js';
import { asInteger, asString, getKey, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import { usageOf } from '../ops/usage.js';
import { failureNoteOf } from '../ops/failure-reasons.js';

/** How a row's age reads against its thresholds: under quiet, past quiet, past stale (or timeout). */
export type AgeLevel = 'fresh' | 'quiet' | 'stale' | 'ended';

export interface TopRow {
  delegation_id: string;
  task_card_id: string | null;
  /** The worker kind (`codex`, `claude`, `command`, …). */
  kind: string;
  title: string;
  /** The display phase (`running`, `quiet`, `stale`, `returned`, `failed`, `reclaimed`, …). */
  phase: string;
  terminal: boolean;
  failure: boolean;
  /** Active: ms since its last progress; finished: ms since it ended; null when unknown. */
  age_ms: number | null;
  quiet_after_ms: number | null;
  stale_after_ms: number | null;
  age_level: AgeLevel;
  last_event: string | null;
  tokens: number | null;
  cost_usd: number | null;
  /** `attempt 2 of <root>`: the retry chain, null for a first attempt that was never retried. */
  retry: string | null;
  /** Superseded by a retry (`retried_by` set). */
  retried: boolean;
  /** Why it failed / was reclaimed / cancelled (finished failures only). */
  reason: string | null;
}

export interface TopModel {
  rows: TopRow[];
  /** "2 running · 1 returned" over every worker not superseded by a retry. */
  counts: string;
  /** The fan-in verdict: `all returned`, `waiting on N`, `N failed`, `no workers yet`. */
  fan_in: string;
  tokens: number;
  cost_usd: number | null;
}

export interface TopInputs {
  records: readonly JsonObject[];
  config: RuntimeConfig;
  nowMs: number;
  /** Each worker's last rendered event line, by delegation id. */
  lastEvents?: ReadonlyMap<string, string>;
  reasons?: ReadonlyMap<string, string>;
}

const str = asString;

const titleOf = (record: JsonObject): string => {
  const title = str(getKey(record, 'summary')) ?? str(getKey(getKey(record, 'worker_request'), 'prompt')) ?? '';
  return title.replace(/\s+/g, ' ').trim();
};

const retryOf = (record: JsonObject): string | null => {
  const request = getKey(record, 'worker_request');
  const attempt = asInteger(getKey(request, 'attempt')) ?? 1;
  const root = str(getKey(request, 'retry_root')) ?? str(getKey(request, 'retry_of'));
  const retriedBy = str(getKey(record, 'retried_by'));
  const parts: string[] = [];
  if (attempt > 1 || root !== undefined) parts.push(`attempt ${attempt}${root !== undefined ? ` of ${root}` : ''}`);
  if (retriedBy !== undefined) parts.push(`retried by ${retriedBy}`);
  return parts.length === 0 ? null : parts.join(', ');
};

/** One worker's row. */
export const topRow = (record: JsonObject, inputs: Omit<TopInputs, 'records'>): TopRow => {
  const id = str(getKey(record, 'delegation_id')) ?? '?';
  const lifecycle = deriveWorkerLifecycleView(record, inputs.config, inputs.nowMs);
  const childStatus = str(getKey(getKey(record, 'child_agent'), 'status'));
  const phase = workerPhase(lifecycle === null ? null : { state: lifecycle.state, reclaim_state: lifecycle.reclaim_state }, childStatus);
  const terminal = isTerminalPhase(phase);
  const endedAt = parseRfc3339Millis(getKey(getKey(record, 'worker_lifecycle'), 'returned_at'));
  const age = terminal ? (endedAt === undefined ? null : Math.max(inputs.nowMs - endedAt, 0)) : (lifecycle?.elapsed_since_progress_ms ?? null);
  const quiet = lifecycle?.quiet_after_ms ?? null;
  const stale = lifecycle?.stale_after_ms ?? null;
  const level: AgeLevel = terminal
    ? 'ended'
    : phase === 'stale' || phase === 'timed_out' || (age !== null && stale !== null && age >= stale)
      ? 'stale'
      : age !== null && quiet !== null && age >= quiet
        ? 'quiet'
        : 'fresh';
  const usage = usageOf(record);
  const kind = str(getKey(getKey(record, 'worker_request'), 'kind')) ?? str(getKey(record, 'work_kind')) ?? 'worker';
  return {
    delegation_id: id,
    task_card_id: str(getKey(record, 'task_card_id')) ?? null,
    kind,
    title: titleOf(record),
    phase,
    terminal,
    failure: isFailurePhase(phase),
    age_ms: age,
    quiet_after_ms: quiet,
    stale_after_ms: stale,
    age_level: level,
    last_event: inputs.lastEvents?.get(id) ?? null,
    tokens: usage?.tokens?.[4] ?? null,
    cost_usd: usage?.cost ?? null,
    retry: retryOf(record),
    retried: getKey(record, 'retried_by') !== undefined,
    reason: isFailurePhase(phase) ? (inputs.reasons?.get(id) ?? failureNoteOf(record)) : null,
  };
};

const createdAt = (record: JsonObject): string => str(getKey(record, 'created_at')) ?? '';

/** Rows (oldest delegation first), counts and the fan-in verdict. */
export const buildTopModel = (inputs: TopInputs): TopModel => {
  const records = [...inputs.records].sort((a, b) => createdAt(a).localeCompare(createdAt(b)) || (str(getKey(a, 'delegation_id')) ?? '').localeCompare(str(getKey(b, 'delegation_id')) ?? ''));
  const rows = records.map((record) => topRow(record, inputs));
  const leaves = rows.filter((row) => !row.retried);
  const active = leaves.filter((row) => !row.terminal).length;
  const failed = leaves.filter((row) => row.failure).length;
  const fanIn = leaves.length === 0 ? 'no workers yet' : active > 0 ? `waiting on ${active}` : failed > 0 ? `${failed} failed` : 'all returned';
  let tokens = 0;
  let cost: number | null = null;
  for (const row of rows) {
    tokens += row.tokens ?? 0;
    if (row.cost_usd !== null) cost = (cost ?? 0) + row.cost_usd;
  }
  return { rows, counts: describePhaseCounts(countPhases(leaves.map((row) => row.phase))), fan_in: fanIn, tokens, cost_usd: cost };
};

/** Rows whose title, id, kind, phase or task card contains `filter` (case-insensitive). */
export const filterRows = (rows: readonly TopRow[], filter: string): TopRow[] => {
  const needle = filter.trim().toLowerCase();
  if (needle === '') return [...rows];
  return rows.filter((row) => [row.title, row.delegation_id, row.kind, row.phase, row.task_card_id ?? ''].some((s) => s.toLowerCase().includes(needle)));
};
