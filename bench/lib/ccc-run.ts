/**
 * Generates a run directory in upstream CCC's layout for the status benchmark: `run.json`, two task
 * cards, N delegation records (~1.5 KB each, upstream fields, pretty JSON as upstream writes them)
 * in a fixed mix of states, and `raw-events/<id>.jsonl` codex streams for the running ones.
 *
 * Times are relative to the real clock at generation. Running records carry hour-scale thresholds
 * (`stale_after_ms` 2 h, `timeout_after_ms` 4 h) so their derived state does not drift while the
 * benchmark runs; the CLI must then be given a stuck threshold at least that large
 * ({@link BENCH_STUCK_AFTER_MS}), because the configured one caps the record's own.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../../test/helpers/records.js';

/** Pass as `--worker-stuck-after-ms` so the records' own hour-scale thresholds apply. */
export const BENCH_STUCK_AFTER_MS = 24 * 3_600_000;
const STALE_AFTER_MS = 2 * 3_600_000;
const TIMEOUT_AFTER_MS = 4 * 3_600_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** What a generated delegation is meant to be, and what the first refresh does to it. */
export type DelegationKind =
  /** running, progress within the quiet threshold, raw file older than the heartbeat: no write. */
  | 'running_active'
  /** running, raw file newer than `last_progress_at`: the first refresh writes progress. */
  | 'running_new_progress'
  | 'running_quiet'
  | 'stale'
  | 'timed_out'
  /** running, no pid, stream ends with `turn.completed`: the first refresh finalizes it (completed). */
  | 'running_terminal'
  /** running, recorded pid has exited, no terminal event: the first refresh finalizes it (failed). */
  | 'running_dead_pid'
  | 'launching'
  | 'queued'
  | 'completed'
  | 'failed'
  | 'reclaimed'
  | 'cancelled';

/** Share of each kind, in percent (sums to 100). */
export const KIND_MIX: ReadonlyArray<readonly [DelegationKind, number]> = [
  ['running_active', 6],
  ['running_new_progress', 2],
  ['running_quiet', 4],
  ['stale', 3],
  ['timed_out', 2],
  ['running_terminal', 2],
  ['running_dead_pid', 1],
  ['launching', 3],
  ['queued', 5],
  ['completed', 52],
  ['failed', 10],
  ['reclaimed', 5],
  ['cancelled', 5],
];

/**
 * Issue 8 section 6's upstream-shaped run: 30% running, every running record on a live pid (with
 * {@link GenerateOptions.liveShare} 1), the rest ended or waiting.
 */
export const UPSTREAM_SHAPED_MIX: ReadonlyArray<readonly [DelegationKind, number]> = [
  ['running_active', 12],
  ['running_quiet', 8],
  ['stale', 5],
  ['timed_out', 5],
  ['launching', 2],
  ['queued', 4],
  ['completed', 44],
  ['failed', 10],
  ['reclaimed', 5],
  ['cancelled', 5],
];

/** Kinds whose record the first (writing) refresh changes. */
export const KINDS_WRITTEN_BY_FIRST_REFRESH: ReadonlySet<DelegationKind> = new Set(['running_new_progress', 'running_terminal', 'running_dead_pid']);

/** A live process a record may point at: its pid and its start time as upstream records it. */
export interface LiveProcess {
  pid: number;
  startedAt: string;
}

export interface GenerateOptions {
  runDir: string;
  delegations: number;
  /** Delegations of the second, inactive task card. */
  otherCardDelegations: number;
  /** Processes that run for the whole benchmark; every 4th active/quiet/stale/timed-out record gets one (see `liveShare`). */
  liveProcesses: readonly LiveProcess[];
  /** Share of the active/quiet/stale/timed-out records given a live process: 0.25 (every 4th) or 1 (all). @default 0.25 */
  liveShare?: 0.25 | 1;
  /** The mix of kinds. @default KIND_MIX */
  mix?: ReadonlyArray<readonly [DelegationKind, number]>;
  /** A pid whose process has exited (for `running_dead_pid`). */
  deadPid: number;
  nowMs: number;
}

export interface GeneratedRun {
  runDir: string;
  activeTaskCardId: string;
  otherTaskCardId: string;
  countsByKind: Map<DelegationKind, number>;
  liveProcessRecords: number;
  /** Record path → original text, for the records the first refresh rewrites (to replay it). */
  firstRefreshOriginals: Map<string, string>;
  recordBytes: number;
  /** The same records as compact JSON. */
  compactRecordBytes: number;
  rawEventFiles: number;
  rawEventBytes: number;
}

/** A UUID-shaped id from SHA-256, like upstream's ids. */
export const uuidLike = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** Deterministic 0..1 from an integer (no Math.random, so runs are reproducible). */
const unit = (n: number): number => {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
};

/** 100 slots filled per `mix` (default {@link KIND_MIX}), shuffled deterministically; delegation i gets slot i % 100. */
const kindPattern = (mix: ReadonlyArray<readonly [DelegationKind, number]> = KIND_MIX): DelegationKind[] => {
  const slots: DelegationKind[] = mix.flatMap(([kind, share]) => Array.from({ length: share }, () => kind));
  for (let i = slots.length - 1; i > 0; i -= 1) {
    const j = Math.floor(unit(i) * (i + 1));
    [slots[i], slots[j]] = [slots[j] as DelegationKind, slots[i] as DelegationKind];
  }
  return slots;
};

const TASK_PROMPT =
  'Implement the retry budget in src/net/client.ts: honour Retry-After, cap the total wait, add tests for 429, 503 and resets.';

/** One codex `exec --json` block of events (reasoning, a command, a file change, a message). */
const codexBlock = (n: number): string[] => {
  const id = (k: number): string => `item_${n * 5 + k}`;
  const output = `src/net/client.ts:${40 + n}:  const delay = retryAfter(response) ?? backoff(attempt);\n`.repeat(1 + (n % 5));
  const command = `/bin/bash -c 'rg -n \"retryAfter\" src/net'`;
  return [
    JSON.stringify({ type: 'item.completed', item: { id: id(0), type: 'reasoning', text: `**Checking retry path ${n}**\n\nLooking at how the client computes its delay.` } }),
    JSON.stringify({ type: 'item.started', item: { id: id(1), type: 'command_execution', command, aggregated_output: '', exit_code: null, status: 'in_progress' } }),
    JSON.stringify({ type: 'item.completed', item: { id: id(1), type: 'command_execution', command, aggregated_output: output, exit_code: 0, status: 'completed' } }),
    JSON.stringify({ type: 'item.completed', item: { id: id(2), type: 'file_change', changes: [{ path: 'src/net/client.ts', kind: 'update' }], status: 'completed' } }),
    JSON.stringify({ type: 'item.completed', item: { id: id(3), type: 'agent_message', text: `Updated the retry path (${n}); running the tests next.` } }),
  ];
};

/** A raw events stream of 1–6 blocks; `terminal` appends a final message and `turn.completed`. */
const rawEvents = (threadId: string, index: number, terminal: boolean): string => {
  const lines = [JSON.stringify({ type: 'thread.started', thread_id: threadId }), '{"type":"turn.started"}'];
  for (let n = 0; n < 1 + (index % 6); n += 1) lines.push(...codexBlock(n));
  if (index % 7 === 0) lines.push('{"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion)"}');
  if (terminal) {
    lines.push(JSON.stringify({ type: 'item.completed', item: { id: 'item_final', type: 'agent_message', text: 'Retry budget implemented; tests for 429, 503 and resets pass.' } }));
    lines.push(JSON.stringify({ type: 'turn.completed', usage: { input_tokens: 182_113, cached_input_tokens: 150_016, output_tokens: 3_481, reasoning_output_tokens: 1_024 } }));
  }
  return `${lines.join('\n')}\n`;
};

interface RecordPlan {
  kind: DelegationKind;
  childStatus: string;
  lifecycle: JsonObject;
  top: JsonObject;
  /** Raw events: mtime and whether the stream is terminal; null = no file. */
  raw: { mtimeMs: number; terminal: boolean } | null;
}

const ts = formatRfc3339;

/** The per-kind part of a record: child status, lifecycle fields, result fields, raw file. */
const planRecord = (kind: DelegationKind, i: number, nowMs: number, live: LiveProcess | null, deadPid: number): RecordPlan => {
  const r = unit(i * 31 + 7);
  const runningLifecycle = (progressAgoMs: number): JsonObject => {
    const progress = nowMs - progressAgoMs;
    const started = progress - 20 * MINUTE - r * 40 * MINUTE;
    return {
      state: 'running',
      queued_at: ts(started - 4_000),
      launch_requested_at: ts(started - 2_500),
      started_at: ts(started),
      process_id: live?.pid ?? null,
      process_started_at: live?.startedAt ?? ts(started),
      process_last_seen_at: ts(progress),
      last_progress_at: ts(progress),
    };
  };
  const running = (progressAgoMs: number, terminal = false): RecordPlan => ({
    kind,
    childStatus: 'running',
    lifecycle: runningLifecycle(progressAgoMs),
    top: {},
    raw: { mtimeMs: nowMs - progressAgoMs - 1_000, terminal },
  });
  const endedAt = nowMs - 3 * HOUR - r * 5 * HOUR;
  const ended = (state: string, reclaim: string, childStatus: string, top: JsonObject): RecordPlan => ({
    kind,
    childStatus,
    lifecycle: {
      state,
      reclaim_state: reclaim,
      queued_at: ts(endedAt - 50 * MINUTE),
      launch_requested_at: ts(endedAt - 49 * MINUTE),
      started_at: ts(endedAt - 48 * MINUTE),
      process_id: 10_000 + (i % 20_000),
      process_started_at: ts(endedAt - 48 * MINUTE),
      process_last_seen_at: ts(endedAt),
      last_progress_at: ts(endedAt),
      returned_at: state === 'returned' ? ts(endedAt) : null,
    },
    top: { completed_at: ts(endedAt), ...top },
    raw: null,
  });
  const failure = (reason: string, summary: string): JsonObject => ({ stage: 'execution', reason, summary, recorded_at: ts(endedAt) });
  switch (kind) {
    case 'running_active':
      return running(1_000 + r * 60_000);
    case 'running_quiet':
      return running(65 * MINUTE + r * 45 * MINUTE);
    case 'stale':
      return running(2.2 * HOUR + r * 1.6 * HOUR);
    case 'timed_out':
      return running(4.5 * HOUR + r * 3.5 * HOUR);
    case 'running_new_progress': {
      const plan = running(30_000 + r * 60_000);
      return { ...plan, raw: { mtimeMs: nowMs - 1_000 - r * 4_000, terminal: false } };
    }
    case 'running_terminal':
      return running(10_000 + r * 600_000, true);
    case 'running_dead_pid': {
      const plan = running(5_000 + r * 30_000);
      return { ...plan, lifecycle: { ...plan.lifecycle, process_id: deadPid } };
    }
    case 'launching': {
      const requested = nowMs - 1_000 - r * 5_000;
      return {
        kind,
        childStatus: 'running',
        lifecycle: { state: 'launching', queued_at: ts(requested - 1_500), launch_requested_at: ts(requested), started_at: null, last_progress_at: ts(requested) },
        top: {},
        raw: null,
      };
    }
    case 'queued':
      return {
        kind,
        childStatus: 'queued',
        lifecycle: { state: 'queued', queued_at: ts(nowMs - r * 10 * MINUTE), launch_requested_at: null, started_at: null, process_started_at: null, last_progress_at: null },
        top: {},
        raw: null,
      };
    case 'completed':
      return ended('returned', 'resumable', 'completed', {
        result_summary: 'Retry budget implemented; tests for 429, 503 and resets pass.',
        worker_result: {
          status: 'completed',
          recorded_at: ts(endedAt),
          thread_id: uuidLike(`thread-${i}`),
          assistant_message_preview: 'Retry budget implemented; tests for 429, 503 and resets pass.',
          total_token_usage: { input_tokens: 182_113, output_tokens: 3_481, total_tokens: 185_594 },
          process_exit: { success: true, exit_code: 0 },
          raw_output_preview: null,
          raw_output_bytes: 18_432 + (i % 4096),
        },
      });
    case 'failed':
      return ended('failed', 'not_needed', 'failed', {
        latest_failure: failure('worker_exit_nonzero', 'codex exec exited with status 1: stream disconnected before completion'),
        result_summary: 'codex exec exited with status 1',
      });
    case 'reclaimed':
      return ended('stale', 'reclaimed', 'failed', {
        stale_at: ts(endedAt - 45_000),
        latest_failure: failure('worker_stale', 'Reclaimed stale worker after 45000 ms without progress; terminated process group.'),
      });
    case 'cancelled':
      return ended('cancelled', 'not_needed', 'cancelled', { result_summary: 'cancelled by the captain: superseded by a narrower task card' });
  }
};

/** The full upstream-shaped record for delegation `i` of `cardId`. */
const buildRecord = (runDir: string, runId: string, cardId: string, id: string, i: number, plan: RecordPlan): JsonObject => {
  const agent = `raider-${String.fromCharCode(97 + (i % 4))}-${id.slice(0, 8)}`;
  const rawFile = plan.raw !== null && i % 5 !== 0 ? join(runDir, 'raw-events', `${id}.jsonl`) : null;
  return runningDelegation(id, {
    child: { agent_id: agent, role: 'raider', status: plan.childStatus, task_card_id: cardId },
    lifecycle: {
      reclaim_state: 'not_needed',
      process_id: null,
      process_started_at: null,
      process_last_seen_at: null,
      returned_at: null,
      stale_at: null,
      timed_out_at: null,
      stale_after_ms: STALE_AFTER_MS,
      timeout_after_ms: TIMEOUT_AFTER_MS,
      summary: `worker ${agent}`,
      ...plan.lifecycle,
    },
    top: {
      run_id: runId,
      task_card_id: cardId,
      summary: `Retry budget for the HTTP client, lane ${i % 4}`,
      executor: { executor_id: `specialist-executor:${agent}`, status: plan.childStatus },
      worker_request: {
        prompt: TASK_PROMPT,
        acceptance: 'Tests pass; public API unchanged.',
        scope: 'src/net/client.ts',
        sandbox_mode: 'workspace-write',
      },
      worker_launch_evidence: {
        launch_source: 'ccc_spawn',
        codex_path: '/usr/local/bin/codex',
        sandbox_mode: 'workspace-write',
        raw_events_file: rawFile,
      },
      latest_model_launch: { actual_model: 'gpt-5.3-codex', variant: 'high' },
      created_at: plan.lifecycle['queued_at'] ?? null,
      updated_at: plan.lifecycle['last_progress_at'] ?? plan.lifecycle['queued_at'] ?? null,
      ...plan.top,
    },
  });
};

const taskCard = (runId: string, id: string, title: string): JsonObject => ({
  task_card_id: id,
  run_id: runId,
  title,
  intent: 'Make the HTTP client robust against rate limits and flaky upstreams.',
  scope: 'src/net/client.ts and its tests',
  execution_prompt: TASK_PROMPT,
  acceptance: 'Tests for 429, 503 and connection resets pass; public API unchanged.',
  task_kind: 'implementation',
  node_kind: 'execution',
  status: 'active',
  owner_role: 'orchestrator',
  assigned_role: 'raider',
  sandbox_mode: 'workspace-write',
  verification_state: 'pending',
  review_pass_count: 0,
  depends_on_task_card_ids: [],
  fan_in_from_task_card_ids: [],
  thread_ids: [],
  parallel_fanout: { mode: 'parallel', requested_parallel: true, default_lane_count: 2, max_lane_count: 4, lanes: [] },
});

/** Writes the run; returns what was generated (see {@link GeneratedRun}). */
export const generateCccRun = (opts: GenerateOptions): GeneratedRun => {
  const { runDir, nowMs } = opts;
  for (const sub of ['delegations', 'task-cards', 'raw-events']) mkdirSync(join(runDir, sub), { recursive: true });
  const runId = uuidLike(`run-${opts.delegations}`);
  const activeTaskCardId = uuidLike(`card-active-${opts.delegations}`);
  const otherTaskCardId = uuidLike(`card-other-${opts.delegations}`);
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify(
      {
        run_id: runId,
        goal: 'Harden the HTTP client',
        status: 'active',
        stage: 'execution',
        sequence: 'EXECUTE_SEQUENCE',
        approval_state: 'approved_for_task_cards',
        active_role: 'captain',
        active_task_card_id: activeTaskCardId,
        task_card_ids: [otherTaskCardId, activeTaskCardId],
        created_at: formatRfc3339(nowMs - 10 * HOUR),
        updated_at: formatRfc3339(nowMs),
      },
      null,
      2,
    ),
  );
  writeFileSync(join(runDir, 'task-cards', `${activeTaskCardId}.json`), JSON.stringify(taskCard(runId, activeTaskCardId, 'Retry budget'), null, 2));
  writeFileSync(join(runDir, 'task-cards', `${otherTaskCardId}.json`), JSON.stringify(taskCard(runId, otherTaskCardId, 'Earlier survey'), null, 2));

  const pattern = kindPattern(opts.mix);
  const liveEvery = opts.liveShare === 1 ? 1 : 4;
  const countsByKind = new Map<DelegationKind, number>();
  const firstRefreshOriginals = new Map<string, string>();
  let liveCandidates = 0;
  let liveProcessRecords = 0;
  let recordBytes = 0;
  let compactRecordBytes = 0;
  let rawEventFiles = 0;
  let rawEventBytes = 0;
  const total = opts.delegations + opts.otherCardDelegations;
  for (let i = 0; i < total; i += 1) {
    const active = i < opts.delegations;
    const cardId = active ? activeTaskCardId : otherTaskCardId;
    const kind = pattern[i % pattern.length] as DelegationKind;
    const id = uuidLike(`delegation-${opts.delegations}-${i}`);
    let live: LiveProcess | null = null;
    if (['running_active', 'running_quiet', 'stale', 'timed_out'].includes(kind) && opts.liveProcesses.length > 0) {
      if (liveCandidates % liveEvery === 0) live = opts.liveProcesses[liveProcessRecords % opts.liveProcesses.length] ?? null;
      liveCandidates += 1;
      if (live !== null) liveProcessRecords += 1;
    }
    const plan = planRecord(kind, i, nowMs, live, opts.deadPid);
    const record = buildRecord(runDir, runId, cardId, id, i, plan);
    const text = JSON.stringify(record, null, 2);
    compactRecordBytes += JSON.stringify(record).length;
    const path = join(runDir, 'delegations', `${id}.json`);
    writeFileSync(path, text);
    recordBytes += Buffer.byteLength(text);
    if (active) countsByKind.set(kind, (countsByKind.get(kind) ?? 0) + 1);
    if (KINDS_WRITTEN_BY_FIRST_REFRESH.has(kind)) firstRefreshOriginals.set(path, text);
    if (plan.raw !== null) {
      const rawPath = join(runDir, 'raw-events', `${id}.jsonl`);
      const raw = rawEvents(uuidLike(`thread-${i}`), i, plan.raw.terminal);
      writeFileSync(rawPath, raw);
      const mtime = new Date(plan.raw.mtimeMs);
      utimesSync(rawPath, mtime, mtime);
      rawEventFiles += 1;
      rawEventBytes += raw.length;
    }
  }
  return { runDir, activeTaskCardId, otherTaskCardId, countsByKind, liveProcessRecords, firstRefreshOriginals, recordBytes, compactRecordBytes, rawEventFiles, rawEventBytes };
};

/** Puts back the records the first refresh rewrote, so the first refresh can be measured again. */
export const restoreFirstRefreshRecords = (run: GeneratedRun): void => {
  for (const [path, text] of run.firstRefreshOriginals) writeFileSync(path, text);
};
