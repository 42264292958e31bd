/**
 * The supervisor is the only writer of `worker_transition`, `worker_retried`, `fan_in_collapsed` and `budget_exceeded`
 * events, and the log is its memory: on start it replays `events.jsonl` to learn the last logged
 * phase of every delegation, the retries and the fan-ins already logged, so a restarted supervisor
 * (even after SIGKILL) logs each change once: it logs the difference between disk and the log.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { endsIdle } from '../lifecycle/supervisor-plan.js';
import { readRunEvents } from '../store/events-log.js';
import { runLayout } from '../store/paths.js';
import { asString } from '../util/json.js';

export interface TransitionMemory {
  /** Last logged phase per delegation. */
  phases: Map<string, string>;
  /** `task_card_id@collapsed_at` of every logged fan-in. */
  fanIns: Set<string>;
  /** Delegations whose retry is logged (`worker_retried`). */
  retries: Set<string>;
  /** Whether the log's latest word on the run is `run_idle` (no worker started or became active since). */
  idle: boolean;
  /** `budget_key` of every logged `budget_exceeded` (one entry per budget crossed). */
  budgets: Set<string>;
  /** Where the replay stopped. */
  cursor: number;
}


/** A crash mid-append can leave a line without its newline; end it so the next line stays whole. */
export const sealEventsLog = (runDir: string): void => {
  let fd: number;
  try {
    fd = openSync(runLayout(runDir).eventsJsonl, 'r+');
  } catch {
    return;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 10) writeSync(fd, '\n', size);
  } finally {
    closeSync(fd);
  }
};

/** Reads `events.jsonl` from `memory.cursor` (or the start) into the supervisor's memory. */
export const replayTransitions = (runDir: string, memory?: TransitionMemory): TransitionMemory => {
  const state = memory ?? { phases: new Map(), fanIns: new Set(), retries: new Set(), idle: false, budgets: new Set(), cursor: 0 };
  for (;;) {
    const page = readRunEvents(runDir, state.cursor, { limit: 10_000, maxBytes: 8 * 1024 * 1024 });
    for (const event of page.events) {
      const id = asString(event.delegation_id);
      if (event.event === 'worker_transition' && id !== undefined) {
        const to = asString(event.to);
        if (to !== undefined) state.phases.set(id, to);
        if (to !== undefined && endsIdle(to)) state.idle = false;
      } else if (event.event === 'worker_retried' && id !== undefined) {
        state.retries.add(id);
      } else if (event.event === 'budget_exceeded') {
        state.budgets.add(String(event.budget_key));
      } else if (event.event === 'run_idle') {
        state.idle = true;
      } else if (event.event === 'worker_delegated') {
        state.idle = false;
      } else if (event.event === 'fan_in_collapsed') {
        state.fanIns.add(`${String(event.task_card_id)}@${String(event.collapsed_at)}`);
      }
    }
    if (page.next_cursor === state.cursor) return state;
    state.cursor = page.next_cursor;
  }
};
