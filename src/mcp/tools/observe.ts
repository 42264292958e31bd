/** captain_status (compact by default) and captain_wait (long-poll with a cursor). */
import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getStatus, type StatusResult } from '../../ops/status.js';
import { readRunEvents, type RunEvent } from '../../store/events-log.js';
import { watchRun } from '../../store/watch-run.js';
import { asInteger, asString, getKey, type JsonObject } from '../../util/json.js';
import { answer, guarded, type McpRuns } from '../context.js';
import { MCP_COMPACT_MAX_WORKERS as COMPACT_MAX_WORKERS, MCP_WAIT_DEFAULT_MS, MCP_WAIT_MAX_EVENTS as WAIT_MAX_EVENTS, MCP_WAIT_MAX_MS } from '../../config/defaults.js';


const COUNT_KEYS = [
  'total_worker_count', 'active_worker_count', 'queued_worker_count', 'launching_worker_count', 'running_worker_count',
  'running_quiet_worker_count', 'stale_worker_count', 'timed_out_worker_count', 'returned_worker_count',
  'completed_worker_count', 'failed_worker_count', 'cancelled_worker_count', 'reclaim_needed_worker_count',
] as const;

/** The model-sized view of a status: counts, one short line per worker, the reclaim summary. */
export const compactStatus = (status: StatusResult): JsonObject => {
  const v = status.worker_visibility;
  const workers = (getKey(v ?? {}, 'workers') as JsonObject[] | undefined) ?? [];
  const counts = Object.fromEntries(COUNT_KEYS.map((k) => [k.replace(/_worker_count$/, ''), asInteger(getKey(v ?? {}, k)) ?? 0]));
  return {
    run_dir: status.run_dir,
    task_card_id: status.task_card_id,
    counts,
    workers: workers.slice(0, COMPACT_MAX_WORKERS).map((w) => {
      const lifecycle = getKey(w, 'worker_lifecycle');
      const heartbeat = getKey(lifecycle, 'heartbeat');
      return {
        delegation_id: asString(getKey(w, 'delegation_id')) ?? '',
        title: (asString(getKey(w, 'summary')) ?? '').slice(0, 80),
        state: asString(getKey(lifecycle, 'state')) ?? 'unknown',
        reclaim_state: asString(getKey(lifecycle, 'reclaim_state')) ?? 'unknown',
        since_progress_ms: asInteger(getKey(lifecycle, 'elapsed_since_progress_ms')) ?? null,
        next_action: asString(getKey(heartbeat, 'next_action')) ?? null,
      };
    }),
    workers_omitted: Math.max(workers.length - COMPACT_MAX_WORKERS, 0),
    reclaim: asString(getKey(status.reclaim_plan ?? {}, 'summary')) ?? null,
    usage: status.usage ?? null,
    errors: status.errors.slice(0, 10),
  };
};

const compactText = (c: JsonObject): string => {
  const counts = c.counts as Record<string, number>;
  const lines = [
    `task card ${String(c.task_card_id)}: ${Object.entries(counts).filter(([k, n]) => n > 0 && k !== 'total').map(([k, n]) => `${n} ${k}`).join(', ') || 'no workers'}`,
    ...(c.workers as JsonObject[]).map((w) => `- ${String(w.delegation_id)} ${String(w.state)} (${String(w.title)})`),
  ];
  if (c.reclaim) lines.push(String(c.reclaim));
  return lines.join('\n');
};

const statusSchema = {
  run_dir: z.string(),
  task_card_id: z.string().nullable(),
  counts: z.record(z.string(), z.number()).optional(),
  workers: z.array(z.record(z.string(), z.unknown())).optional(),
  workers_omitted: z.number().optional(),
  reclaim: z.string().nullable().optional(),
  worker_visibility: z.record(z.string(), z.unknown()).nullable().optional(),
  reclaim_plan: z.record(z.string(), z.unknown()).nullable().optional(),
  usage: z.record(z.string(), z.unknown()).nullable().optional(),
  run_usage: z.record(z.string(), z.unknown()).optional(),
  task_cards: z.array(z.record(z.string(), z.unknown())).optional(),
  errors: z.array(z.record(z.string(), z.unknown())),
};

/** The interesting part of a run event for a model. */
const slimEvent = (e: RunEvent & { cursor: number }): JsonObject => {
  const out: JsonObject = { cursor: e.cursor, event: e.event, at: e.at };
  for (const key of ['delegation_id', 'task_card_id', 'from', 'to', 'termination', 'retry_delegation_id', 'completed', 'failed', 'cancelled', 'collapsed_at']) {
    const value = getKey(e, key);
    if (value !== undefined && value !== null) out[key] = value;
  }
  const summary = asString(getKey(e, 'summary'));
  if (summary) out.summary = summary.length > 300 ? `${summary.slice(0, 300)}…` : summary;
  return out;
};

export const registerObserveTools = (server: McpServer, runs: McpRuns): void => {
  server.registerTool(
    'captain_status',
    {
      title: 'Worker status',
      description: "Every worker of a task card: derived state, progress age, next action; the reclaim plan. Compact by default; verbose=true returns the full worker_visibility and reclaim_plan payloads (with each worker's ccc.long_running_work_tick.v1 heartbeat).",
      inputSchema: { run_dir: z.string().optional(), task_card_id: z.string().optional(), verbose: z.boolean().optional() },
      outputSchema: statusSchema,
    },
    guarded(async ({ run_dir, task_card_id, verbose }) => {
      const ctx = await runs.open(run_dir);
      const status = getStatus(ctx, task_card_id === undefined ? {} : { taskCardId: task_card_id });
      if (verbose) return answer(status, JSON.stringify(status).slice(0, 2_000));
      const compact = compactStatus(status);
      return answer(compact, compactText(compact));
    }),
  );

  server.registerTool(
    'captain_wait',
    {
      title: 'Wait for a change',
      description: `Long-poll the run's transition log: returns as soon as anything happens after \`cursor\` (or, with until="fan_in", once the task card's fan-in is collapsed), or after timeout_ms (default ${MCP_WAIT_DEFAULT_MS}, at most ${MCP_WAIT_MAX_MS}). Pass next_cursor to the next call: no event is missed or repeated. Omit cursor on the first call to start from the beginning.`,
      inputSchema: {
        run_dir: z.string().optional(),
        cursor: z.number().int().nonnegative().optional(),
        timeout_ms: z.number().int().min(0).max(MCP_WAIT_MAX_MS).optional(),
        until: z.enum(['any', 'fan_in']).optional(),
        task_card_id: z.string().optional().describe('with until=fan_in: the task card (default: the active one)'),
      },
      outputSchema: {
        events: z.array(z.record(z.string(), z.unknown())),
        next_cursor: z.number(),
        timed_out: z.boolean(),
        fan_in: z.record(z.string(), z.unknown()).nullable(),
        more: z.boolean(),
      },
    },
    guarded(async ({ run_dir, cursor, timeout_ms, until, task_card_id }) => {
      const ctx = await runs.open(run_dir);
      const card = task_card_id ?? asString(getKey(ctx.run, 'active_task_card_id')) ?? null;
      const deadline = Date.now() + Math.min(timeout_ms ?? MCP_WAIT_DEFAULT_MS, MCP_WAIT_MAX_MS);
      let position = cursor ?? 0;
      const seen: Array<RunEvent & { cursor: number }> = [];
      let fanIn: JsonObject | null = null;
      // Only the run's log: the events after `cursor`, as they are appended.
      const watch = watchRun(ctx.runDir, { cursor: position, records: false, rawEvents: false, maxEvents: WAIT_MAX_EVENTS });
      try {
        for (;;) {
          const changes = await watch.batch(Math.max(deadline - Date.now(), 0));
          const transitions = changes.flatMap((c) => (c.kind === 'transition' ? [c] : []));
          const taken = transitions.slice(0, WAIT_MAX_EVENTS - seen.length);
          seen.push(...taken.map((c) => c.event));
          // All of the batch taken: resume where the watch read to (past unreadable lines too); else after the last one taken.
          position = taken.length === transitions.length ? (watch.cursor ?? position) : taken.at(-1)!.cursor;
          fanIn = (seen.filter((e) => e.event === 'fan_in_collapsed' && (card === null || e.task_card_id === card)).pop() as JsonObject | undefined) ?? null;
          const satisfied = until === 'fan_in' ? fanIn !== null : seen.length > 0;
          if (satisfied || seen.length >= WAIT_MAX_EVENTS || Date.now() >= deadline || watch.closed) break;
        }
      } finally {
        watch.close();
      }
      const more = readRunEvents(ctx.runDir, position, { limit: 1 }).events.length > 0;
      const timedOut = until === 'fan_in' ? fanIn === null : seen.length === 0;
      const events = seen.map(slimEvent);
      const text = timedOut
        ? `No ${until === 'fan_in' ? 'fan-in' : 'change'} yet (next_cursor ${position}); call captain_wait again.`
        : `${events.map((e) => `${String(e.event)} ${String(e.delegation_id ?? e.task_card_id ?? '')} ${e.to ? `-> ${String(e.to)}` : ''}`.trim()).join('\n')}${fanIn ? `\nFan-in: ${String(fanIn.summary ?? '').trim()}` : ''}\nnext_cursor ${position}`;
      return answer({ events, next_cursor: position, timed_out: timedOut, fan_in: fanIn === null ? null : slimEvent(fanIn as RunEvent & { cursor: number }), more }, text);
    }),
  );
};
