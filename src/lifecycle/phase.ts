/**
 * The phase people are shown for a worker: its derived state, except that a reclaimed worker is
 * `reclaimed` (the seed keeps it `stale` / `timed_out`, which its payload counts as active). Each
 * worker has exactly one phase, so counts by phase add up to the number of workers. Pure.
 */

/** Phases in display order, with their short labels. `running` covers `running` and `running_active`. */
export const PHASES = [
  ['queued', 'queued'],
  ['launching', 'launching'],
  ['running', 'running'],
  ['running_quiet', 'quiet'],
  ['stale', 'stale'],
  ['timed_out', 'timed out'],
  ['returned', 'returned'],
  ['failed', 'failed'],
  ['reclaimed', 'reclaimed'],
  ['cancelled', 'cancelled'],
] as const satisfies ReadonlyArray<readonly [string, string]>;

const ACTIVE_PHASES = new Set(['queued', 'launching', 'running', 'running_quiet', 'stale', 'timed_out']);

/** Still going (or stuck, waiting to be reclaimed): not finished. Unknown phases count as active. */
export const isActivePhase = (phase: string): boolean => ACTIVE_PHASES.has(phase) || !PHASES.some(([p]) => p === phase);

/** A finished worker: returned, failed, reclaimed or cancelled. */
export const isTerminalPhase = (phase: string): boolean => !isActivePhase(phase);

/** The failure phases (the worker gave no usable result). */
export const isFailurePhase = (phase: string): boolean => phase === 'failed' || phase === 'reclaimed' || phase === 'cancelled';

/**
 * One worker's phase from its derived lifecycle (`state`, `reclaim_state`), or, for a record
 * without `worker_lifecycle`, from its `child_agent.status`.
 */
export const workerPhase = (lifecycle: { state?: string | undefined; reclaim_state?: string | undefined } | null, childStatus?: string): string => {
  if (lifecycle === null) {
    if (childStatus === 'completed') return 'returned';
    if (childStatus === 'failed' || childStatus === 'cancelled' || childStatus === 'running') return childStatus;
    return 'queued';
  }
  if (lifecycle.reclaim_state === 'reclaimed') return 'reclaimed';
  const state = lifecycle.state ?? 'queued';
  return state === 'running_active' ? 'running' : state;
};

/** The short label of a phase ("timed out", "quiet"); an unknown phase is its own label. */
export const phaseLabel = (phase: string): string => PHASES.find(([p]) => p === phase)?.[1] ?? phase;

/** Counts by phase, in display order, zero counts left out (unknown phases last). */
export const countPhases = (phases: Iterable<string>): Record<string, number> => {
  const counts = new Map<string, number>();
  for (const phase of phases) counts.set(phase, (counts.get(phase) ?? 0) + 1);
  const ordered: Record<string, number> = {};
  for (const [phase] of PHASES) {
    const n = counts.get(phase);
    if (n !== undefined) ordered[phase] = n;
  }
  for (const [phase, n] of counts) if (!(phase in ordered)) ordered[phase] = n;
  return ordered;
};

/** "2 running · 1 timed out · 1 reclaimed" (each worker counted once), or `empty`. */
export const describePhaseCounts = (counts: Record<string, number>, empty = 'no workers yet'): string =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([phase, n]) => `${n} ${phaseLabel(phase)}`)
    .join(' · ') || empty;

/** How a run stands, from its workers. */
export type RunOutcome = 'running' | 'fanned_in' | 'failed' | 'idle';

/** What {@link runOutcome} needs of one worker. */
export interface OutcomeWorker {
  phase: string;
  /** Not superseded by a retry (its `retried_by` is unset). */
  final: boolean;
  /** Carries a fan-in stamp. */
  fannedIn: boolean;
}

/**
 * `running` while any worker is active (stuck ones included, until reclaimed); else `failed` when
 * a final worker (not superseded by a retry) failed, was reclaimed or was cancelled; else
 * `fanned_in` when every worker carries a fan-in stamp; else `idle` (no workers yet, or every one
 * returned and the fan-in not collapsed).
 */
export const runOutcome = (workers: readonly OutcomeWorker[]): RunOutcome => {
  if (workers.some((w) => isActivePhase(w.phase))) return 'running';
  if (workers.some((w) => w.final && isFailurePhase(w.phase))) return 'failed';
  if (workers.length > 0 && workers.every((w) => w.fannedIn)) return 'fanned_in';
  return 'idle';
};
