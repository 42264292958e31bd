/**
 * The worker lifecycle vocabulary (upstream names, kept on disk) and the fixed phrases,
 * next actions and transitions the seed attaches to each state.
 *
 * Values read from disk are untyped strings: `parseWorkerState`, `parseReclaimState` and
 * `parseChildStatus` turn them into the unions, or into an {@link Unrecognized} value kept
 * verbatim (the seed passes an unknown stored state through to its payloads, and gives it the
 * fallback phrase, next action and transition). Every table is a `Record` over its union, so a
 * state added to a list fails the type check until each table handles it.
 */

declare const unrecognized: unique symbol;
/** A value read from disk that is not in captain's vocabulary: shown as it is, never matched. */
export type Unrecognized = string & { readonly [unrecognized]: true };

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
/** `worker_lifecycle.state` as read from a record. */
export type WorkerStateText = WorkerState | Unrecognized;

/**
 * - `not_needed`: nothing to reclaim.
 * - `reclaim_needed`: stale or timed out; its process should be stopped and the failure recorded.
 * - `resumable`: returned; its result can be picked up.
 * - `reclaimed`: captain stopped it (recorded as failed).
 */
export const RECLAIM_STATES = ['not_needed', 'reclaim_needed', 'resumable', 'reclaimed'] as const;
export type ReclaimState = (typeof RECLAIM_STATES)[number];
export type ReclaimStateText = ReclaimState | Unrecognized;

/**
 * `child_agent.status` (mirrored in `executor.status`): the authoritative truth of a delegation.
 * - `queued`: waiting for a slot (also what an absent or non-string status reads as, like the seed).
 * - `running`: launched; the lifecycle state says how it is doing.
 * - `completed` / `failed` / `cancelled`: terminal.
 */
export const CHILD_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type ChildStatus = (typeof CHILD_STATUSES)[number];
export type ChildStatusText = ChildStatus | Unrecognized;

export const TERMINAL_CHILD_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly ChildStatus[];
export type TerminalChildStatus = (typeof TERMINAL_CHILD_STATUSES)[number];

const parseIn =
  <T extends string>(values: readonly T[]) =>
  (text: string): T | Unrecognized =>
    values.find((value) => value === text) ?? (text as Unrecognized);

/** A stored lifecycle state: one of {@link WORKER_STATES}, else kept verbatim as unrecognized. */
export const parseWorkerState: (text: string) => WorkerStateText = parseIn(WORKER_STATES);
/** A stored reclaim state: one of {@link RECLAIM_STATES}, else kept verbatim as unrecognized. */
export const parseReclaimState: (text: string) => ReclaimStateText = parseIn(RECLAIM_STATES);
/** A stored child status: one of {@link CHILD_STATUSES}, else kept verbatim as unrecognized. */
export const parseChildStatus: (text: string) => ChildStatusText = parseIn(CHILD_STATUSES);

export const isWorkerState = (state: string | undefined): state is WorkerState =>
  (WORKER_STATES as readonly (string | undefined)[]).includes(state);

export const isTerminalChildStatus = (status: ChildStatusText): status is TerminalChildStatus =>
  (TERMINAL_CHILD_STATUSES as readonly string[]).includes(status);

/** What the seed counts and ticks per state. */
interface StateTraits {
  /** Counted as an active worker in the visibility payload. */
  activeVisible: boolean;
  /** Its heartbeat tick counts as active (the seed excludes stale and timed_out here). */
  activeTick: boolean;
}

const TRAITS: Record<WorkerState, StateTraits> = {
  queued: { activeVisible: true, activeTick: true },
  launching: { activeVisible: true, activeTick: true },
  running: { activeVisible: true, activeTick: true },
  running_active: { activeVisible: true, activeTick: true },
  running_quiet: { activeVisible: true, activeTick: true },
  stale: { activeVisible: true, activeTick: false },
  timed_out: { activeVisible: true, activeTick: false },
  returned: { activeVisible: false, activeTick: false },
  failed: { activeVisible: false, activeTick: false },
  cancelled: { activeVisible: false, activeTick: false },
};

/** States counted as active workers in the visibility payload. */
export const isActiveVisibleState = (state: WorkerStateText | undefined): boolean => isWorkerState(state) && TRAITS[state].activeVisible;

/** States whose heartbeat tick counts as active. */
export const isActiveTickState = (state: WorkerStateText): boolean => isWorkerState(state) && TRAITS[state].activeTick;

const PHRASES: Record<WorkerState, string> = {
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
export const summarizeVisibleWorkerLifecycleState = (state: WorkerStateText): string =>
  isWorkerState(state) ? PHRASES[state] : 'worker lifecycle is unavailable';

export type WorkerNextAction = 'reclaim' | 'advance' | 'none' | 'await_worker';

const NEXT_ACTIONS: Record<WorkerState, WorkerNextAction> = {
  queued: 'await_worker',
  launching: 'await_worker',
  running: 'await_worker',
  running_active: 'await_worker',
  running_quiet: 'await_worker',
  stale: 'reclaim',
  timed_out: 'reclaim',
  returned: 'advance',
  failed: 'none',
  cancelled: 'none',
};

/** The seed's `worker_next_action_for_state` (an unrecognized state awaits the worker). */
export const workerNextActionForState = (state: WorkerStateText): WorkerNextAction =>
  isWorkerState(state) ? NEXT_ACTIONS[state] : 'await_worker';

export type WorkerTransition = 'completed' | 'reclaimable' | 'stalled' | 'quiet' | 'running';

const TRANSITIONS: Record<WorkerState, WorkerTransition> = {
  queued: 'running',
  launching: 'running',
  running: 'running',
  running_active: 'running',
  running_quiet: 'quiet',
  stale: 'stalled',
  timed_out: 'reclaimable',
  returned: 'completed',
  failed: 'running',
  cancelled: 'running',
};

/** The seed's `worker_transition_for_state` (an unrecognized state reads as running). */
export const workerTransitionForState = (state: WorkerStateText): WorkerTransition =>
  isWorkerState(state) ? TRANSITIONS[state] : 'running';
