/** captain_delegate, captain_follow_up, captain_result, captain_events, captain_cancel. */
import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { kindsHelp, promptKindNames, sandboxModes } from '../../kinds/registry.js';
import { WORKER_KINDS } from '../../lifecycle/kinds.js';
import { delegate } from '../../ops/delegate.js';
import { followUp } from '../../ops/follow-up.js';
import { cancelDelegation, findDelegation, getWorkerResult, readWorkerEvents } from '../../ops/worker.js';
import { isJsonObject, type JsonObject } from '../../util/json.js';
import { collectWorktree } from '../../worktree/collect.js';
import { formatDiffstat } from '../../worktree/diffstat.js';
import { answer, guarded, type McpRuns } from '../context.js';
import { MCP_MAX_TEXT_CHARS } from '../../config/defaults.js';

const runDir = z.string().optional().describe('the run (default: the server’s run)');
const delegationId = z.string().min(1).describe('a delegation id from captain_delegate or captain_status');
/** Longest text a tool answer carries in one field. */
const clip = (text: unknown): string | null => {
  if (typeof text !== 'string') return null;
  return text.length <= MCP_MAX_TEXT_CHARS ? text : `${text.slice(0, MCP_MAX_TEXT_CHARS)}… [${text.length - MCP_MAX_TEXT_CHARS} more characters; see captain_events]`;
};

/** captain_result's worktree fields (absent without a worktree); at most 200 paths. */
const worktreeFields = (r: JsonObject): { branch?: string; patch_file?: string | null; diffstat?: { files: number; added: number; removed: number; paths: string[] } | null } => {
  const worktree = r.worktree;
  if (!isJsonObject(worktree) || typeof worktree.branch !== 'string') return {};
  const stat = r.diffstat;
  const perFile = isJsonObject(stat) && Array.isArray(stat.per_file) ? stat.per_file : [];
  return {
    branch: worktree.branch,
    patch_file: typeof worktree.patch_file === 'string' ? worktree.patch_file : null,
    diffstat: isJsonObject(stat)
      ? { files: Number(stat.files), added: Number(stat.added), removed: Number(stat.removed), paths: perFile.slice(0, 200).map((f) => (isJsonObject(f) ? String(f.path) : '')) }
      : null,
  };
};

export const registerWorkerTools = (server: McpServer, runs: McpRuns): void => {
  server.registerTool(
    'captain_delegate',
    {
      title: 'Delegate a task to a worker',
      description:
        `Start a worker (${kindsHelp()}) and return at once with its delegation id. Pass an idempotency_key so that retrying this call never starts a second worker.`,
      inputSchema: {
        run_dir: runDir,
        kind: z.enum(WORKER_KINDS),
        prompt: z.string().min(1).max(100_000).optional().describe(`the task (${promptKindNames()})`),
        argv: z.array(z.string()).max(200).optional().describe(`command: the program and its arguments; ${promptKindNames()}: extra CLI flags`),
        task_card_id: z.string().optional(),
        lane: z.string().optional(),
        title: z.string().max(200).optional(),
        cwd: z.string().optional().describe("the worker's working directory (inside the workspace)"),
        sandbox: z.enum(sandboxModes()).optional().describe('codex only'),
        idempotency_key: z.string().min(1).max(200).optional(),
        worktree: z.boolean().optional().describe('run the worker in its own git worktree on a new branch (the cwd must be in a git checkout); default: the run’s `worktrees` setting'),
        base: z.string().min(1).max(400).optional().describe('with worktree: the branch, tag or commit to start from (default: HEAD)'),
        max_parallel: z.union([z.number().int().positive(), z.literal('auto')]).optional().describe('launch only while fewer than this many workers of the run run, else queue; auto: from the cores and free memory'),
      },
      outputSchema: {
        delegation_id: z.string(),
        task_card_id: z.string(),
        state: z.enum(['launching', 'queued']),
        reused: z.boolean(),
        raw_events_file: z.string(),
      },
    },
    guarded(async (input) => {
      const ctx = await runs.open(input.run_dir);
      const result = await delegate(ctx, {
        kind: input.kind,
        argv: input.argv ?? [],
        ...(input.prompt === undefined ? {} : { prompt: input.prompt }),
        ...(input.task_card_id === undefined ? {} : { taskCardId: input.task_card_id }),
        ...(input.lane === undefined ? {} : { lane: input.lane }),
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.cwd !== undefined ? { cwd: runs.insideWorkspace(input.cwd, 'cwd') } : runs.defaultCwd() !== undefined ? { cwd: runs.defaultCwd()! } : {}),
        ...(input.sandbox === undefined ? {} : { sandbox: input.sandbox }),
        ...(input.idempotency_key === undefined ? {} : { idempotencyKey: input.idempotency_key }),
        ...(input.worktree === undefined ? {} : { worktree: input.worktree }),
        ...(input.base === undefined ? {} : { base: input.base }),
        ...(input.max_parallel === undefined ? {} : { maxParallel: input.max_parallel }),
      });
      const structured = {
        delegation_id: result.delegation_id,
        task_card_id: result.task_card_id,
        state: result.state,
        reused: result.reused,
        raw_events_file: result.raw_events_file,
      };
      return answer(structured, `${result.reused ? 'Already delegated (same idempotency_key)' : 'Delegated'}: ${result.delegation_id} (${result.state}). Use captain_wait to hear when it changes.`);
    }),
  );

  server.registerTool(
    'captain_follow_up',
    {
      title: "Continue a finished worker's conversation",
      description:
        "Send a finished worker (codex, claude, gemini) a new prompt: a new delegation that resumes its thread / session in the same cwd or worktree, linked both ways (follow_up_of / followed_up_by). Refused while the worker runs, without a thread / session id, for command workers, and when it was already followed up (follow up that one instead).",
      inputSchema: {
        run_dir: runDir,
        delegation_id: delegationId,
        prompt: z.string().min(1).max(100_000).describe('the next message to the worker'),
        title: z.string().max(200).optional(),
        idempotency_key: z.string().min(1).max(200).optional(),
      },
      outputSchema: {
        delegation_id: z.string(),
        follow_up_of: z.string(),
        resumed_session_id: z.string(),
        state: z.enum(['launching', 'queued']),
        reused: z.boolean(),
        raw_events_file: z.string(),
      },
    },
    guarded(async (input) => {
      const ctx = await runs.open(input.run_dir);
      const result = await followUp(ctx, {
        delegationId: input.delegation_id,
        prompt: input.prompt,
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.idempotency_key === undefined ? {} : { idempotencyKey: input.idempotency_key }),
      });
      const structured = {
        delegation_id: result.delegation_id,
        follow_up_of: result.follow_up_of,
        resumed_session_id: result.resumed_session_id,
        state: result.state,
        reused: result.reused,
        raw_events_file: result.raw_events_file,
      };
      return answer(structured, `${result.reused ? 'Already followed up (same idempotency_key)' : 'Followed up'}: ${result.follow_up_of} → ${result.delegation_id} (${result.state}). Use captain_wait to hear when it changes.`);
    }),
  );

  server.registerTool(
    'captain_result',
    {
      title: "A worker's result",
      description: "One delegation's parsed result: status, summary, final message, thread or session id, usage, cost, failure reason.",
      inputSchema: { run_dir: runDir, delegation_id: delegationId },
      outputSchema: {
        delegation_id: z.string(),
        kind: z.string(),
        status: z.string(),
        state: z.string().nullable(),
        summary: z.string().nullable(),
        final_message: z.string().nullable(),
        thread_id: z.string().nullable(),
        session_id: z.string().nullable(),
        usage: z.record(z.string(), z.unknown()).nullable(),
        cost_usd: z.number().nullable(),
        cost_source: z.enum(['reported', 'priced', 'unknown']).nullable().describe('unknown: tokens without a known price (cost_usd is null)'),
        failure_reason: z.string().nullable(),
        completed_at: z.string().nullable(),
        branch: z.string().optional().describe('with a worktree: the worker’s branch'),
        patch_file: z.string().nullable().optional(),
        diffstat: z.object({ files: z.number(), added: z.number(), removed: z.number(), paths: z.array(z.string()) }).nullable().optional().describe('with a worktree: what the worker changed (null until collected)'),
      },
    },
    guarded(async ({ run_dir, delegation_id }) => {
      const ctx = await runs.open(run_dir);
      // A finished worker with a worktree is collected first, so its diffstat is there.
      await collectWorktree(ctx, findDelegation(ctx, delegation_id).path).catch(() => undefined);
      const r = getWorkerResult(ctx, delegation_id);
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      const structured = {
        delegation_id: r.delegation_id,
        kind: r.kind,
        status: r.status,
        state: str(r.state),
        summary: clip(r.summary),
        final_message: clip(r.final_message),
        thread_id: str(r.thread_id),
        session_id: str(r.session_id),
        usage: r.usage !== null && typeof r.usage === 'object' && !Array.isArray(r.usage) ? (r.usage as Record<string, unknown>) : null,
        cost_usd: typeof r.cost_usd === 'number' ? r.cost_usd : null,
        cost_source: r.cost_source === 'reported' || r.cost_source === 'priced' || r.cost_source === 'unknown' ? r.cost_source : null,
        failure_reason: str(r.failure_reason),
        completed_at: str(r.completed_at),
        ...worktreeFields(r),
      };
      const stat = structured.diffstat;
      const text = [
        `${r.delegation_id} (${r.kind}): ${r.status}`,
        structured.failure_reason ? `failure: ${structured.failure_reason}` : '',
        structured.branch === undefined ? '' : `worktree branch ${structured.branch}: ${stat ? formatDiffstat(stat) : 'not collected yet'}`,
        structured.final_message ? `final message: ${structured.final_message}` : `summary: ${structured.summary ?? '-'}`,
      ]
        .filter((l) => l !== '')
        .join('\n');
      return answer(structured, text);
    }),
  );

  server.registerTool(
    'captain_events',
    {
      title: "A worker's events",
      description: "A worker's events after a cursor (0 = from the start), one readable line each; bounded in count and bytes. Pass next_cursor back to continue.",
      inputSchema: {
        run_dir: runDir,
        delegation_id: delegationId,
        cursor: z.number().int().nonnegative().optional(),
        limit: z.number().int().min(1).max(200).optional().describe('at most this many events (default 50)'),
      },
      outputSchema: {
        delegation_id: z.string(),
        events: z.array(z.object({ cursor: z.number(), type: z.string(), text: z.string() })),
        next_cursor: z.number(),
        more: z.boolean(),
      },
    },
    guarded(async ({ run_dir, delegation_id, cursor, limit }) => {
      const ctx = await runs.open(run_dir);
      const page = readWorkerEvents(ctx, delegation_id, cursor ?? 0, { limit: limit ?? 50, maxBytes: 32 * 1024 });
      const events = page.events.map((e) => ({ ...e, text: e.text.length > 500 ? `${e.text.slice(0, 500)}…` : e.text }));
      return answer({ ...page, events }, events.length === 0 ? 'No new events.' : `${events.map((e) => e.text).join('\n')}${page.more ? `\n(more after cursor ${page.next_cursor})` : ''}`);
    }),
  );

  server.registerTool(
    'captain_cancel',
    {
      title: 'Cancel a worker',
      description: "Stop a worker on purpose: kill its whole process group (after checking it is the recorded process) and record it as cancelled.",
      inputSchema: { run_dir: runDir, delegation_id: delegationId, reason: z.string().max(500).optional() },
      outputSchema: { delegation_id: z.string(), cancelled: z.boolean(), termination: z.string().nullable(), status: z.string() },
    },
    guarded(async ({ run_dir, delegation_id, reason }) => {
      const ctx = await runs.open(run_dir);
      const r = await cancelDelegation(ctx, delegation_id, reason ?? 'cancelled by the captain (MCP)');
      return answer(
        { delegation_id: r.delegation_id, cancelled: r.cancelled, termination: r.termination, status: r.status },
        r.cancelled ? `Cancelled ${r.delegation_id} (${String(r.termination)})` : `${r.delegation_id} had already ended (${r.status})`,
      );
    }),
  );
};
