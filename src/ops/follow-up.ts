/**
 * `captain follow-up`: a new delegation that continues a finished worker's conversation (`codex exec
 * resume <thread_id>`, `claude -p --resume <session_id>`, `gemini --resume <session_id>`) with a new
 * prompt, in the same cwd (or worktree), with the same launch environment and CLI. The two records
 * are linked both ways: the new one carries `follow_up_of`, the earlier one is stamped
 * `followed_up_by` under its record lock.
 *
 * One follow-up per delegation: a conversation continues in a line, so a second follow-up of the same
 * worker is refused, naming the follow-up to continue instead. The check, the launch and the stamp run
 * under one lock per earlier delegation (`.captain-locks/follow-up-<id>`), so two concurrent calls start
 * one worker; a follow-up created by a process that died before stamping is found (by its
 * `follow_up_of`) and stamped by the next call.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CaptainError } from '../errors.js';
import { kindSpec } from '../kinds/registry.js';
import type { WorkerLauncher } from '../kinds/node-modules.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { withRecordLock } from '../store/lock.js';
import { runLayout } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';
import { launcherFor } from '../workers/adapters.js';
import { worktreeOf } from '../worktree/record.js';
import type { RunContext } from './context.js';
import { delegate, resultFor, type DelegateResult } from './delegate.js';
import { findDelegation } from './worker.js';
import { workerKindOf } from './worker-kind.js';

export interface FollowUpInput {
  /** The finished delegation whose conversation continues. */
  delegationId: string;
  /** The new message to the worker. */
  prompt: string;
  /** A short label (default: the prompt). */
  title?: string;
  /** Extra environment over the earlier worker's recorded `env` (secrets: pass them again, they are not on disk). */
  env?: Record<string, string>;
  /** Extra CLI flags instead of the earlier worker's (default: its own; codex keeps those `exec resume` accepts). */
  argv?: string[];
  /** An explicit CLI binary (default: the one the earlier worker ran). */
  bin?: string;
  launcher?: WorkerLauncher;
  /** A retried call with the same key returns the first follow-up instead of refusing. */
  idempotencyKey?: string;
  maxParallel?: number | 'auto';
}

export interface FollowUpResult extends DelegateResult {
  follow_up_of: string;
  /** The thread / session id the follow-up resumes. */
  resumed_session_id: string;
}

const strings = (value: Json | undefined): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;

const stringRecord = (value: Json | undefined): Record<string, string> =>
  isJsonObject(value) ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};

/** The thread (codex) or session (claude, gemini) id of a finished worker, or undefined. */
export const sessionIdOf = (record: JsonObject): string | undefined => {
  const result = getKey(record, 'worker_result');
  return asString(getKey(result, 'thread_id')) ?? asString(getKey(result, 'session_id')) ?? asString(getKey(record, 'thread_id')) ?? asString(getKey(record, 'session_id'));
};

/**
 * The launcher part of a recorded command (the executable and its leading args): the command minus
 * the CLI arguments captain built for it (`args`, or `resumeArgs` for a follow-up). Undefined when
 * the recorded command does not end with them (an edited record, an upstream one).
 */
export const recordedLauncher = (record: JsonObject): string[] | undefined => {
  const command = strings(getKey(getKey(record, 'worker_launch_evidence'), 'command'));
  const request = getKey(record, 'worker_request');
  const spec = kindSpec(workerKindOf(record));
  const prompt = asString(getKey(request, 'prompt'));
  if (command === undefined || prompt === undefined || spec.binary === null) return undefined;
  const sandbox = asString(getKey(request, 'sandbox_mode'));
  const extra = strings(getKey(request, 'argv')) ?? [];
  const resumed = asString(getKey(request, 'resume_session_id'));
  const suffix =
    resumed !== undefined
      ? spec.resumeArgs?.({ sessionId: resumed, prompt, sandbox, extra })
      : spec.args({ prompt, cwd: asString(getKey(request, 'cwd')) ?? '', sandbox, extra });
  if (suffix === undefined || suffix.length >= command.length) return undefined;
  const tail = command.slice(command.length - suffix.length);
  return tail.every((arg, i) => arg === suffix[i]) ? command.slice(0, command.length - suffix.length) : undefined;
};

/** Why `record` cannot be followed up, or undefined when it can. */
const refusal = (id: string, record: JsonObject): string | undefined => {
  const kind = workerKindOf(record);
  if (kindSpec(kind).resumeArgs === undefined) {
    return `${id} is a ${kind} worker: it ran a program, not an agent conversation, so there is nothing to resume; delegate a new worker instead`;
  }
  const status = childStatusOf(record);
  if (!isTerminalChildStatus(status)) return `${id} is still ${status}: follow up once it has ended (captain wait), or cancel it first`;
  if (sessionIdOf(record) === undefined) {
    return `${id} has no ${kind === 'codex' ? 'thread' : 'session'} id in its result (the ${kind} CLI ended before it started a conversation?), so there is nothing to resume; delegate a new worker instead`;
  }
  return undefined;
};

/**
 * Starts a worker that resumes `input.delegationId`'s conversation with `input.prompt`.
 * @throws CaptainError USAGE when the earlier worker is not terminal, has no thread / session id, is
 *   of a kind without resume (command), or was already followed up; NOT_FOUND for an unknown id.
 */
export const followUp = async (ctx: RunContext, input: FollowUpInput): Promise<FollowUpResult> => {
  if (input.prompt.trim() === '') throw new CaptainError('USAGE', 'follow-up needs --prompt TEXT (the next message to the worker)');
  const { path } = findDelegation(ctx, input.delegationId);
  const id = input.delegationId;
  const lockDir = runLayout(ctx.runDir).lockDir;
  mkdirSync(lockDir, { recursive: true });
  return withRecordLock(join(lockDir, `follow-up-${id}`), async (): Promise<FollowUpResult> => {
    const record = findDelegation(ctx, id).record;
    const earlier = await existingFollowUp(ctx, path, id, record);
    if (earlier !== undefined) {
      const key = asString(getKey(getKey(earlier.record, 'worker_request'), 'idempotency_key'));
      if (input.idempotencyKey !== undefined && key === input.idempotencyKey) {
        return { ...resultFor(ctx, earlier.record, true), follow_up_of: id, resumed_session_id: sessionIdOf(record) ?? '' };
      }
      throw new CaptainError('USAGE', `${id} was already followed up by ${earlier.id}; follow up ${earlier.id} instead (its conversation carries this one's)`);
    }
    const why = refusal(id, record);
    if (why !== undefined) throw new CaptainError('USAGE', why);
    const sessionId = sessionIdOf(record)!;
    const kind = workerKindOf(record);
    const spec = kindSpec(kind);
    const request = getKey(record, 'worker_request');
    const sandbox = asString(getKey(request, 'sandbox_mode'));
    const extra = input.argv ?? strings(getKey(request, 'argv')) ?? [];
    const explicit = input.launcher !== undefined || input.bin !== undefined;
    const recorded = explicit ? undefined : recordedLauncher(record);
    const launcher = recorded ?? (() => {
      const found = launcherFor(kind, input.bin, input.launcher);
      return [found.command, ...found.args];
    })();
    const resumeArgs = spec.resumeArgs!({ sessionId, prompt: input.prompt, sandbox, extra });
    const cwd = asString(getKey(request, 'cwd'));
    const lane = asString(getKey(record, 'lane_id'));
    const created = await delegate(ctx, {
      kind,
      prompt: input.prompt,
      argv: extra,
      ...(sandbox === undefined ? {} : { sandbox }),
      command: [...launcher, ...resumeArgs],
      taskCardId: asString(getKey(record, 'task_card_id')) ?? '',
      ...(lane === undefined ? {} : { lane }),
      ...(input.title === undefined ? {} : { title: input.title }),
      // A worktree worker continues in its worktree (collected first); else in the earlier cwd.
      ...(worktreeOf(record) !== undefined ? { worktreeOf: id } : cwd === undefined ? {} : { cwd }),
      env: { ...stringRecord(getKey(request, 'env')), ...input.env },
      ...(isJsonObject(getKey(request, 'launch_env')) ? { launchEnv: stringRecord(getKey(request, 'launch_env')) } : {}),
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
      ...(input.maxParallel === undefined ? {} : { maxParallel: input.maxParallel }),
      followUpOf: id,
      resumeSessionId: sessionId,
    });
    await stamp(path, created.delegation_id);
    return { ...created, follow_up_of: id, resumed_session_id: sessionId };
  });
};

const stamp = (path: string, followUpId: string) =>
  updateJsonRecord(path, (current) => (getKey(current, 'followed_up_by') === undefined ? { ...current, followed_up_by: followUpId } : undefined));

/** The follow-up `id` already has: stamped, or created by a call that died before stamping (stamped now). */
const existingFollowUp = async (ctx: RunContext, path: string, id: string, record: JsonObject): Promise<{ id: string; record: JsonObject } | undefined> => {
  const stamped = asString(getKey(record, 'followed_up_by'));
  const all = loadDelegations(ctx.runDir).records.map((r) => r.record);
  const found = all.find((r) => (stamped !== undefined ? asString(getKey(r, 'delegation_id')) === stamped : asString(getKey(r, 'follow_up_of')) === id));
  if (stamped !== undefined) return { id: stamped, record: found ?? {} };
  if (found === undefined) return undefined;
  const foundId = asString(getKey(found, 'delegation_id')) ?? '';
  await stamp(path, foundId);
  return { id: foundId, record: found };
};
