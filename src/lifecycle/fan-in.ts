/**
 * Fan-in, pure: the seed's `collapse_terminal_fan_in` decision over a task card's delegations,
 * its task-card fallback (worker result envelope + parallel fan-out gate), and captain's
 * idempotency rule (collapsing an already collapsed set returns the earlier collapse).
 */
import { asBoolean, asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';
import { parseRfc3339Millis } from '../util/time.js';
import { childStatusOf } from './derive.js';
import { isTerminalChildStatus } from './states.js';

export interface FanInPayload extends JsonObject {
  collapsed_at: string;
  task_card_id: string;
  completed: number;
  failed: number;
  cancelled: number;
  summary: string;
  thread_ids: string[];
}

export type FanInDecision =
  /** Some worker is still active (or a required lane has no worker yet): nothing to collapse. */
  | { ready: false; reason: string; activeDelegationIds: string[]; missingLaneIds: string[] }
  /**
   * Ready. `stamp` says which records need `fan_in_collapsed_at` written: none when the same set
   * was collapsed before (the earlier `collapsed_at` is returned).
   */
  | { ready: true; payload: FanInPayload; stamp: 'none' | 'delegations' | 'task_card' };

const LANE_TERMINAL = new Set(['completed', 'failed', 'stalled', 'reclaimed', 'merged', 'cancelled']);

/**
 * The task card's parallel fan-out gate: null when the card declares none. Lanes are ready when every
 * required lane is terminal in the card itself (upstream host lanes) or, for captain's lanes, has at
 * least one delegation and all of that lane's delegations are terminal.
 */
export const parallelFanoutGate = (
  taskCard: Json,
  delegations: readonly JsonObject[] = [],
): { fan_in_ready: boolean; missing_lane_ids: string[] } | null => {
  const fanout = getKey(taskCard, 'parallel_fanout');
  if (!isJsonObject(fanout)) return null;
  const lanes = getKey(fanout, 'lanes');
  if (!Array.isArray(lanes) || lanes.length === 0) {
    const ready = asBoolean(getKey(getKey(fanout, 'aggregate'), 'fan_in_ready'));
    return ready === undefined ? null : { fan_in_ready: ready, missing_lane_ids: [] };
  }
  const missing: string[] = [];
  for (const lane of lanes) {
    const laneId = asString(getKey(lane, 'lane_id'));
    if (laneId === undefined || getKey(lane, 'required') === false) continue;
    const laneStatus = asString(getKey(getKey(lane, 'lifecycle'), 'status'));
    if (laneStatus !== undefined && LANE_TERMINAL.has(laneStatus)) continue;
    const workers = delegations.filter((d) => asString(getKey(d, 'lane_id')) === laneId);
    const done = workers.length > 0 && workers.every((d) => isTerminalChildStatus(childStatusOf(d)));
    if (!done) missing.push(laneId);
  }
  return { fan_in_ready: missing.length === 0, missing_lane_ids: missing };
};

const summaryFor = (source: 'explicit' | 'task-card', c: number, f: number, x: number, detail: string): string => {
  const what = source === 'explicit' ? 'explicit fan-in' : 'task-card fan-in';
  const plural = source === 'explicit' ? 'results' : 'result';
  return f > 0 || x > 0
    ? `Captain collapsed ${what} after terminal worker ${plural} (${c} completed, ${f} failed, ${x} cancelled). ${detail}`
    : `Captain collapsed ${what} after ${c} completed worker result(s). ${detail}`;
};

/** The latest of the given RFC 3339 stamps, if every one of them parses. */
const latestStamp = (stamps: Array<string | undefined>): string | undefined => {
  let best: { ms: number; text: string } | undefined;
  for (const text of stamps) {
    const ms = text === undefined ? undefined : parseRfc3339Millis(text);
    if (text === undefined || ms === undefined) return undefined;
    if (best === undefined || ms > best.ms) best = { ms, text };
  }
  return best?.text;
};

const ENVELOPE_STATUS: Record<string, [number, number, number]> = {
  completed: [1, 0, 0],
  passed: [1, 0, 0],
  success: [1, 0, 0],
  failed: [0, 1, 0],
  error: [0, 1, 0],
  cancelled: [0, 0, 1],
  canceled: [0, 0, 1],
};

/** The seed's `collapse_task_card_terminal_fan_in`, for a task card with no delegations. */
const taskCardFallback = (taskCard: JsonObject, taskCardId: string, collapsedAt: string, detail: string): FanInDecision => {
  const gate = parallelFanoutGate(taskCard);
  if (gate && !gate.fan_in_ready) {
    return { ready: false, reason: 'parallel fan-out lanes are not all terminal', activeDelegationIds: [], missingLaneIds: gate.missing_lane_ids };
  }
  const envelope = getKey(taskCard, 'worker_result_envelope') ?? getKey(taskCard, 'subagent_fan_in');
  const status = asString(getKey(envelope, 'status'))?.trim().toLowerCase();
  const counts = status === undefined ? undefined : ENVELOPE_STATUS[status];
  if (counts === undefined) {
    return { ready: false, reason: 'no delegations and no terminal worker result envelope on the task card', activeDelegationIds: [], missingLaneIds: [] };
  }
  const [c, f, x] = counts;
  const envelopeSummary = asString(getKey(envelope, 'summary'))?.trim() || 'Task card terminal fan-in is ready.';
  const earlier = asString(getKey(taskCard, 'fan_in_collapsed_at'));
  return {
    ready: true,
    stamp: earlier === undefined ? 'task_card' : 'none',
    payload: {
      collapsed_at: earlier ?? collapsedAt,
      task_card_id: taskCardId,
      completed: c,
      failed: f,
      cancelled: x,
      summary: summaryFor('task-card', c, f, x, `${envelopeSummary} ${detail}`),
      thread_ids: [],
    },
  };
};

/**
 * Decides fan-in for one task card. `delegations` are the task card's delegation records (already
 * refreshed); `collapsedAt` is the stamp to use when a new collapse happens.
 */
export const decideFanIn = (input: {
  taskCardId: string;
  taskCard: JsonObject | null;
  delegations: readonly JsonObject[];
  collapsedAt: string;
  orchestratorSummary?: string;
}): FanInDecision => {
  const { taskCardId, taskCard, delegations, collapsedAt } = input;
  const detail = input.orchestratorSummary ?? '';
  if (delegations.length === 0) {
    return taskCard === null
      ? { ready: false, reason: 'the task card has no delegations', activeDelegationIds: [], missingLaneIds: [] }
      : taskCardFallback(taskCard, taskCardId, collapsedAt, detail);
  }
  let completed = 0;
  let failed = 0;
  let cancelled = 0;
  const active: string[] = [];
  const threadIds: string[] = [];
  for (const delegation of delegations) {
    const status = childStatusOf(delegation);
    if (status === 'completed') {
      completed += 1;
      const threadId = asString(getKey(getKey(delegation, 'worker_result'), 'thread_id'));
      if (threadId !== undefined) threadIds.push(threadId);
    } else if (status === 'failed') failed += 1;
    else if (status === 'cancelled') cancelled += 1;
    else active.push(asString(getKey(delegation, 'delegation_id')) ?? '(no delegation_id)');
  }
  if (active.length > 0) {
    return { ready: false, reason: `${active.length} worker(s) still active`, activeDelegationIds: active, missingLaneIds: [] };
  }
  if (taskCard && asString(getKey(getKey(taskCard, 'parallel_fanout'), 'created_by')) === 'captain') {
    const gate = parallelFanoutGate(taskCard, delegations);
    if (gate && !gate.fan_in_ready) {
      return { ready: false, reason: 'declared parallel lanes have no terminal worker yet', activeDelegationIds: [], missingLaneIds: gate.missing_lane_ids };
    }
  }
  const stamps = delegations.map((d) => asString(getKey(d, 'fan_in_collapsed_at')));
  const earlier = latestStamp(stamps);
  return {
    ready: true,
    // Members left unstamped (a crash between stamps) get the earlier stamp: one collapse, one time.
    stamp: stamps.some((stamp) => stamp === undefined) ? 'delegations' : 'none',
    payload: {
      collapsed_at: earlier ?? collapsedAt,
      task_card_id: taskCardId,
      completed,
      failed,
      cancelled,
      summary: summaryFor('explicit', completed, failed, cancelled, detail),
      thread_ids: threadIds,
    },
  };
};
