/**
 * The worker lifecycle vocabulary (upstream names, kept on disk) and the fixed phrases,
 * next actions and transitions the seed attaches to each state.
 */

/**
 * - `queued`: recorded, not launched yet.
 * - `launching`: launch requested, no proof the worker started.
 * - `running` / `running_active`: progress seen within the quiet threshold.
 * - `running_quiet`: alive, no progress for at least the quiet threshold.
 * - `stale`: no progress for the stale threshold; needs reclaim.
 * - `timed_out`: no progress for the timeout threshold; needs reclaim.
 * - `returned`: completed; its result waits for fan-in.
 * - `failed`: ended without a usable result (or was reclaimed).
 * - `cancelled`: stopped on purpose.
 */
export const WORKER_STATES = [
  'queued',
  'launching',
  'running',
  'running_active',
  'running_quiet',
  'stale',
  'timed_out',
  'returned',
  'failed',
  'cancelled',
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const RECLAIM_STATES = ['not_needed', 'reclaim_needed', 'resumable', 'reclaimed'] as const;
export type ReclaimState = (typeof RECLAIM_STATES)[number];

/** `child_agent.status`: the authoritative terminal truth of a delegation. */
export const TERMINAL_CHILD_STATUSES = ['completed', 'failed', 'cancelled'] as const;
export const isTerminalChildStatus = (status: string): boolean =>
  (TERMINAL_CHILD_STATUSES as readonly string[]).includes(status);

/** States counted as active workers in the visibility payload. */
const ACTIVE_VISIBLE = new Set(['queued', 'launching', 'running', 'running_active', 'running_quiet', 'stale', 'timed_out']);
export const isActiveVisibleState = (state: unknown): boolean => typeof state === 'string' && ACTIVE_VISIBLE.has(state);

/** States whose heartbeat tick counts as active (the seed excludes stale and timed_out here). */
const ACTIVE_TICK = new Set(['queued', 'launching', 'running', 'running_active', 'running_quiet']);
export const isActiveTickState = (state: string): boolean => ACTIVE_TICK.has(state);

const PHRASES: Record<string, string> = {
  queued: 'queued and waiting for captain launch',
  launching: 'launch requested and waiting for worker start proof',
  running: 'running with recent bounded progress',
  running_active: 'running with recent bounded progress',
  running_quiet: 'running without recent event output but still alive',
  returned: 'returned to captain and ready for explicit fan-in',
  failed: 'failed and needs captain follow-up',
  cancelled: 'cancelled under captain control',
  stale: 'stale and needs bounded reclaim',
  timed_out: 'timed out and needs bounded reclaim',
};

/** The seed's `summarize_visible_worker_lifecycle_state`. */
export const summarizeVisibleWorkerLifecycleState = (state: string): string =>
  PHRASES[state] ?? 'worker lifecycle is unavailable';

/** The seed's `worker_next_action_for_state`. */
export const workerNextActionForState = (state: string): 'reclaim' | 'advance' | 'none' | 'await_worker' => {
  if (state === 'stale' || state === 'timed_out') return 'reclaim';
  if (state === 'returned') return 'advance';
  if (state === 'failed' || state === 'cancelled') return 'none';
  return 'await_worker';
};

/** The seed's `worker_transition_for_state`. */
export const workerTransitionForState = (state: string): 'completed' | 'reclaimable' | 'stalled' | 'quiet' | 'running' => {
  if (state === 'returned') return 'completed';
  if (state === 'timed_out') return 'reclaimable';
  if (state === 'stale') return 'stalled';
  if (state === 'running_quiet') return 'quiet';
  return 'running';
};
