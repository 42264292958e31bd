/**
 * Hook events: which entries of the run's transition log (`events.jsonl`) a hook can fire on, and
 * the JSON object a hook receives. Pure: a log entry in, a payload (or nothing) out.
 */
import type { RunEvent } from '../store/events-log.js';

export const HOOK_EVENTS = [
  'worker_returned',
  'worker_failed',
  'worker_cancelled',
  'worker_reclaimed',
  'worker_retried',
  'fan_in_collapsed',
  'budget_exceeded',
  'run_idle',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export const isHookEvent = (value: string): value is HookEvent => (HOOK_EVENTS as readonly string[]).includes(value);

/** What a hook receives (on stdin for a command, as the body of a webhook). */
export interface HookPayload {
  /** The hook event. */
  event: HookEvent;
  /** Unique per run, hook and log entry; the same on every re-delivery (receivers dedupe on it). */
  delivery_id: string;
  /** When the log entry was written (RFC 3339). */
  at: string;
  run_dir: string;
  run_id: string | null;
  task_card_id: string | null;
  delegation_id: string | null;
  /** The worker's state after the event (`returned`, `failed`, ...), or null for run-level events. */
  state: string | null;
  summary: string | null;
  /** The log entry the event was read from, as written. */
  source: RunEvent;
}

const TRANSITION_EVENTS: Record<string, HookEvent> = {
  returned: 'worker_returned',
  failed: 'worker_failed',
  cancelled: 'worker_cancelled',
};

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The hook event a log entry stands for, or undefined when it is none. */
export const hookEventOf = (entry: RunEvent): HookEvent | undefined => {
  if (entry.event === 'worker_transition') return TRANSITION_EVENTS[String(entry.to)];
  return isHookEvent(entry.event) && !Object.values(TRANSITION_EVENTS).includes(entry.event) ? entry.event : undefined;
};

const stateOf = (entry: RunEvent, event: HookEvent): string | null => {
  if (entry.event === 'worker_transition') return text(entry.to);
  if (event === 'fan_in_collapsed') return 'fanned_in';
  return text(entry.state);
};

export const hookPayload = (entry: RunEvent, event: HookEvent, ids: { runDir: string; runId: string | null; deliveryId: string }): HookPayload => ({
  event,
  delivery_id: ids.deliveryId,
  at: entry.at,
  run_dir: ids.runDir,
  run_id: ids.runId,
  task_card_id: text(entry.task_card_id),
  delegation_id: text(entry.delegation_id) ?? text(entry.retry_of),
  state: stateOf(entry, event),
  summary: text(entry.summary) ?? text(entry.reason) ?? null,
  source: entry,
});

/** A one-line human text of a payload (desktop notifications, logs). */
export const describePayload = (payload: HookPayload): { title: string; body: string } => {
  const who = payload.delegation_id ?? payload.task_card_id ?? payload.run_id ?? 'run';
  return {
    title: `captain: ${payload.event.replace(/_/g, ' ')} (${who})`,
    body: payload.summary ?? `${payload.state ?? ''} ${payload.run_dir}`.trim(),
  };
};
