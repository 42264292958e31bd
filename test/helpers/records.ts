/** Builders for delegation and task-card records in upstream CCC's shape, for tests and benches. */
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339 } from '../../src/util/time.js';

export const T0 = Date.parse('2026-11-24T10:00:00.000Z');
export const at = (offsetMs: number): string => formatRfc3339(T0 + offsetMs);

/** A running codex-exec delegation whose last progress was at T0 (overrides merge one level deep). */
export const runningDelegation = (
  id: string,
  overrides: { lifecycle?: JsonObject; child?: JsonObject; top?: JsonObject } = {},
): JsonObject => ({
  delegation_id: id,
  run_id: 'run-1',
  task_card_id: 'card-1',
  delegated_by_role: 'captain',
  summary: `worker ${id}`,
  child_agent: { agent_id: `agent-${id}`, parent_agent_id: 'captain', role: 'raider', status: 'running', task_card_id: 'card-1', ...overrides.child },
  executor: { executor_id: `specialist-executor:agent-${id}`, status: 'running' },
  worker_request: { prompt: 'do the thing', sandbox_mode: 'read-only' },
  worker_launch_evidence: { launch_source: 'ccc_spawn', raw_events_file: null },
  worker_lifecycle: {
    state: 'running_active',
    reclaim_state: 'not_needed',
    queued_at: at(-10_000),
    launch_requested_at: at(-9_000),
    started_at: at(-8_000),
    process_id: null,
    process_started_at: at(-8_000),
    process_last_seen_at: at(0),
    last_progress_at: at(0),
    returned_at: null,
    stale_at: null,
    timed_out_at: null,
    stale_after_ms: 45_000,
    timeout_after_ms: 45_000,
    summary: 'running',
    ...overrides.lifecycle,
  },
  upstream_only_key: { kept: true },
  ...overrides.top,
});
