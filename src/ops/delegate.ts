/**
 * `captain delegate`: write the delegation record, then start a detached worker monitor that
 * outlives this process, and return at once. The record is written first, so a crash between
 * the two leaves a visible `launching` delegation that times out and is reclaimed, never a
 * worker nobody knows about.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, closeSync, mkdirSync } from 'node:fs';
import { openRegularFileSync } from '../store/regular-file.js';
import { join, resolve } from 'node:path';
import { CaptainError, describeError } from '../errors.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { isTerminalChildStatus } from '../lifecycle/states.js';
import { appendRunEvent } from '../store/events-log.js';
import { writeJsonAtomicSync } from '../store/json-file.js';
import { defaultRawEventsPath, delegationPath, runLayout, taskCardPath } from '../store/paths.js';
import { loadDelegations } from '../store/records.js';
import { updateJsonRecord } from '../store/update-record.js';
import { withRecordLock } from '../store/lock.js';
import { asInteger, asString, getKey, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import { buildWorkerCommand, type WorkerSpec } from '../workers/adapters.js';
import { targetTaskCardId, type RunContext } from './context.js';
import { newId } from './ids.js';
import { preflightLaunch } from './preflight.js';
import { captureLaunchEnv, isSecretName, REDACTED } from '../workers/launch-env.js';
import { runMonitor } from '../monitor/monitor.js';
import { createWorktree } from '../worktree/create.js';
import { isolationFor, type Isolation } from './delegate-worktree.js';
import { budgetHoldReason } from './budget.js';
import { autoParallelLimit } from '../lifecycle/parallel-limit.js';
import { readMachineLoad } from '../process/meminfo.js';

export interface DelegateInput extends Omit<WorkerSpec, 'cwd'> {
  cwd?: string;
  taskCardId?: string;
  lane?: string;
  /** A short human title for the worker. */
  title?: string;
  /** A file whose content becomes the worker's stdin (else stdin is closed). */
  stdinFile?: string;
  /** Extra environment for the worker. */
  env?: Record<string, string>;
  /** A retried call with the same key returns the first delegation instead of launching again. */
  idempotencyKey?: string;
  /** The delegation this one retries, and the first of the chain (set by the supervisor). */
  retryOf?: string;
  retryRoot?: string;
  attempt?: number;
  /**
   * Launch at most this many workers of the run at once; the rest wait as `queued`. `auto`: the limit
   * from the machine's cores and free memory (src/lifecycle/parallel-limit.ts), queued under the memory floor.
   */
  maxParallel?: number | 'auto';
  /** The recorded launch environment of the first launch (set by the supervisor for a retry). */
  launchEnv?: Record<string, string>;
  /** The exact argv to run, skipping the kind's command building (a retry reuses its first launch's). */
  command?: string[];
  /**
   * Run the worker in a git worktree of its own, on a new branch `captain/<run>/<delegation>` from
   * `base` (default: the cwd's HEAD). Default: run.json's `worktrees` (false when unset).
   */
  worktree?: boolean;
  /** The worktree's base commit (a branch, tag or commit); only with a worktree. */
  base?: string;
  /** A follow-up: run in the worktree of this (terminal) delegation, continuing its branch. */
  worktreeOf?: string;
  /** The delegation whose conversation this one continues (set by `followUp`: src/ops/follow-up.ts). */
  followUpOf?: string;
  /** The thread / session id the worker resumes (with `followUpOf`). */
  resumeSessionId?: string;
}

export interface DelegateResult extends JsonObject {
  delegation_id: string;
  task_card_id: string;
  state: 'launching' | 'queued';
  delegation_file: string;
  raw_events_file: string;
  stderr_file: string;
  /** True when an earlier call with the same idempotency key already created it. */
  reused: boolean;
}

/** `--env` values as written to disk: secrets redacted (the launcher's own environment supplies them). */
const redactSecrets = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value]));

const secretsOf = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([name, value]) => isSecretName(name) && value !== REDACTED));

/** Copies the worker's stdin file into the run (only a regular file; a FIFO or device is refused). */
const copyStdin = (source: string, target: string): string => {
  const { fd, stat } = openRegularFileSync(source, { what: '--stdin', code: 'IO' });
  closeSync(fd);
  if (!stat.isFile()) throw new CaptainError('USAGE', `--stdin ${source}: expected a regular file`);
  copyFileSync(source, target);
  return target;
};

const activeWorkerCount = (records: JsonObject[]): number =>
  records.filter((r) => childStatusOf(r) === 'running').length;

const findByIdempotencyKey = (records: JsonObject[], key: string): JsonObject | undefined =>
  records.find((r) => asString(getKey(getKey(r, 'worker_request'), 'idempotency_key')) === key);

/** What `delegate` answers for an existing delegation record. */
export const resultFor = (ctx: RunContext, record: JsonObject, reused: boolean): DelegateResult => {
  const id = asString(getKey(record, 'delegation_id')) ?? '';
  const evidence = getKey(record, 'worker_launch_evidence');
  return {
    delegation_id: id,
    task_card_id: asString(getKey(record, 'task_card_id')) ?? '',
    state: childStatusOf(record) === 'queued' ? 'queued' : 'launching',
    delegation_file: delegationPath(ctx.runDir, id),
    raw_events_file: asString(getKey(evidence, 'raw_events_file')) ?? defaultRawEventsPath(ctx.runDir, id),
    stderr_file: asString(getKey(evidence, 'stderr_file')) ?? '',
    reused,
  };
};

/**
 * Launches one delegation from this process: spawns its detached `sh` wrapper (which outlives
 * this process and runs the worker), waits the few milliseconds until the worker's pid is known,
 * and records its identity (see monitor/monitor.ts). No Node process is started per worker, so
 * a hundred launches at once cost a hundred small shells, not a hundred Node start-ups. Progress
 * lines go to `raw-events/<id>.monitor.log`; a failure is logged there and leaves the record
 * `launching`, which the supervisor relaunches or times out.
 */
export const startMonitor = async (ctx: RunContext, delegationId: string, generation: string, secrets: Record<string, string> = {}): Promise<void> => {
  const logFile = join(runLayout(ctx.runDir).rawEventsDir, `${delegationId}.monitor.log`);
  const log = (message: string): void => {
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${message}\n`);
    } catch {
      // the log is best effort
    }
  };
  try {
    await runMonitor(ctx, delegationId, generation, { log, secrets });
  } catch (error) {
    log(`delegation ${delegationId}: launch failed: ${describeError(error)}`);
  }
};

/** Marks a queued delegation launching and starts its monitor (used by delegate and the supervisor). */
export const launchDelegation = async (ctx: RunContext, delegationId: string): Promise<boolean> => {
  const path = delegationPath(ctx.runDir, delegationId);
  const generation = randomBytes(8).toString('hex');
  const { written } = await updateJsonRecord(path, (current) => {
    if (childStatusOf(current) !== 'queued') return undefined;
    // Stamped under the lock: a long wait for it (a stale lock) must not make the launch look old.
    const now = formatRfc3339(ctx.now());
    const { hold_reason: _held, ...lifecycle } = getKey(current, 'worker_lifecycle') as JsonObject;
    return {
      ...current,
      updated_at: now,
      child_agent: { ...(getKey(current, 'child_agent') as JsonObject), status: 'running' },
      executor: { ...(getKey(current, 'executor') as JsonObject), status: 'running' },
      worker_lifecycle: { ...lifecycle, state: 'launching', launch_requested_at: now, last_progress_at: now, generation },
    };
  });
  if (!written) return false;
  await startMonitor(ctx, delegationId, generation);
  return true;
};

export const delegate = async (ctx: RunContext, input: DelegateInput): Promise<DelegateResult> => {
  const taskCardId = targetTaskCardId(ctx, input.taskCardId);
  if (taskCardId === null) throw new CaptainError('USAGE', `${ctx.runDir}/run.json has no active_task_card_id; pass --task-card ID`);
  if (!existsSync(taskCardPath(ctx.runDir, taskCardId))) {
    throw new CaptainError('NOT_FOUND', `task card ${taskCardId} does not exist in ${ctx.runDir}/task-cards/; create it with \`captain task\``);
  }
  const userCwd = resolve(input.cwd ?? process.cwd());
  const delegationId = newId('dlg', ctx.now());
  const isolation = await isolationFor(ctx, input, userCwd, delegationId);
  const cwd = isolation.cwd;
  const [presetFile, ...presetArgs] = input.command ?? [];
  const command = presetFile === undefined ? buildWorkerCommand({ ...input, cwd }) : { file: presetFile, args: presetArgs, env: {} };
  if (input.stdinFile !== undefined && !existsSync(input.stdinFile)) throw new CaptainError('USAGE', `--stdin ${input.stdinFile}: no such file`);
  // A retry reuses a command that launched before; a first launch is checked before anything is written.
  // (A new worktree does not exist yet: the program is looked for from the checkout it comes from.)
  if (input.retryOf === undefined) preflightLaunch({ kind: input.kind, file: command.file, cwd: isolation.plan === undefined ? cwd : userCwd, path: input.env?.PATH ?? command.env.PATH ?? process.env.PATH });
  if (input.idempotencyKey !== undefined) {
    // Check and create under one run-wide lock, so two concurrent calls with the same key start one worker.
    const lockDir = runLayout(ctx.runDir).lockDir;
    mkdirSync(lockDir, { recursive: true });
    const key = input.idempotencyKey;
    return withRecordLock(join(lockDir, 'delegate'), () => {
      const earlier = findByIdempotencyKey(loadDelegations(ctx.runDir).records.map((r) => r.record), key);
      return earlier !== undefined ? resultFor(ctx, earlier, true) : createDelegation(ctx, input, taskCardId, cwd, command, delegationId, isolation);
    });
  }
  return createDelegation(ctx, input, taskCardId, cwd, command, delegationId, isolation);
};

const createDelegation = async (
  ctx: RunContext,
  input: DelegateInput,
  taskCardId: string,
  cwd: string,
  command: { file: string; args: string[]; env: Record<string, string> },
  delegationId: string,
  isolation: Isolation,
): Promise<DelegateResult> => {
  const existing = input.maxParallel === undefined ? [] : loadDelegations(ctx.runDir).records.map((r) => r.record);
  const nowMs = ctx.now();
  const now = formatRfc3339(nowMs);
  // A run whose budget is reached launches nothing new: the delegation waits, queued, saying why.
  const active = activeWorkerCount(existing);
  const auto = input.maxParallel === 'auto' ? autoParallelLimit(readMachineLoad()) : undefined;
  const holdReason = budgetHoldReason(ctx) ?? auto?.reason ?? null;
  const limit = auto?.limit ?? (typeof input.maxParallel === 'number' ? input.maxParallel : undefined);
  const queued = holdReason !== null || (limit !== undefined && active >= limit);
  const generation = randomBytes(8).toString('hex');
  const layout = runLayout(ctx.runDir);
  mkdirSync(layout.rawEventsDir, { recursive: true });
  const rawEventsFile = defaultRawEventsPath(ctx.runDir, delegationId);
  let stdinCopy: string | null = null;
  if (input.stdinFile !== undefined) {
    const inRun = join(layout.rawEventsDir, `${delegationId}.stdin`);
    // A retry passes the copy its first launch made: reuse it as it is.
    stdinCopy = resolve(input.stdinFile) === inRun ? inRun : copyStdin(input.stdinFile, join(layout.rawEventsDir, `${delegationId}.stdin`));
  }
  const stderrFile = join(layout.rawEventsDir, `${delegationId}.stderr.txt`);
  const title = input.title ?? (input.prompt ?? (input.argv ?? []).join(' ')).slice(0, 80);
  const status = queued ? 'queued' : 'running';
  const record: JsonObject = {
    delegation_id: delegationId,
    run_id: asString(getKey(ctx.run, 'run_id')) ?? '',
    task_card_id: taskCardId,
    ...(input.lane === undefined ? {} : { lane_id: input.lane }),
    delegated_by_role: 'captain',
    summary: title,
    work_kind: input.kind,
    child_agent: { agent_id: `worker-${delegationId}`, parent_agent_id: 'captain', role: input.kind, status, task_card_id: taskCardId },
    executor: { executor_id: `captain:${input.kind}:${delegationId}`, status },
    worker_request: {
      kind: input.kind,
      prompt: input.prompt ?? null,
      argv: input.argv ?? [],
      cwd,
      sandbox_mode: input.sandbox ?? null,
      // A copy inside the run: paths read from records stay inside it, and a retry reads the same input.
      stdin_file: stdinCopy,
      ...(input.stdinFile === undefined || input.stdinFile === stdinCopy ? {} : { stdin_source: resolve(input.stdinFile) }),
      env: redactSecrets({ ...command.env, ...input.env }),
      // What the first launch ran with; a retry keeps it (see workers/launch-env.ts).
      launch_env: input.launchEnv ?? captureLaunchEnv(input.kind, process.env),
      idempotency_key: input.idempotencyKey ?? null,
      retry_of: input.retryOf ?? null,
      retry_root: input.retryRoot ?? null,
      attempt: input.attempt ?? 1,
      max_parallel: input.maxParallel ?? null,
      ...(input.resumeSessionId === undefined ? {} : { resume_session_id: input.resumeSessionId }),
    },
    worker_launch_evidence: {
      launch_source: 'captain',
      command: [command.file, ...command.args],
      cwd,
      raw_events_file: rawEventsFile,
      stderr_file: stderrFile,
    },
    worker_lifecycle: {
      state: queued ? 'queued' : 'launching',
      reclaim_state: 'not_needed',
      queued_at: now,
      ...(queued ? {} : { launch_requested_at: now }),
      started_at: null,
      process_id: null,
      process_started_at: null,
      process_last_seen_at: null,
      // The launch itself starts the progress clock: a monitor that never starts the worker
      // turns into a timed-out, reclaimable delegation instead of a silent one.
      last_progress_at: queued ? null : now,
      returned_at: null,
      stale_at: null,
      timed_out_at: null,
      stale_after_ms: ctx.config.worker_stuck_after_ms,
      timeout_after_ms: ctx.config.worker_stuck_after_ms,
      ...(ctx.config.worker_quiet_after_ms === undefined ? {} : { quiet_after_ms: ctx.config.worker_quiet_after_ms }),
      generation,
      ...(holdReason === null ? {} : { hold_reason: holdReason }),
      summary: holdReason !== null ? `queued: ${holdReason}` : queued ? 'queued: waiting for a free worker slot' : 'launch requested',
    },
    ...(input.followUpOf === undefined ? {} : { follow_up_of: input.followUpOf }),
    created_at: now,
    updated_at: now,
  };
  // The worktree exists before the record names it, so a worker never starts without its folder.
  const worktree = isolation.plan !== undefined ? await createWorktree(isolation.plan, now) : isolation.reused;
  if (worktree !== undefined) record.worktree = worktree;
  writeJsonAtomicSync(delegationPath(ctx.runDir, delegationId), record);
  appendRunEvent(ctx.runDir, { event: 'worker_delegated', at: now, delegation_id: delegationId, task_card_id: taskCardId, kind: input.kind, state: queued ? 'queued' : 'launching' });
  if (!queued) await startMonitor(ctx, delegationId, generation, secretsOf(input.env ?? {}));
  return resultFor(ctx, record, false);
};

/** The attempt number of a delegation (1 for the first). */
export const attemptOf = (record: JsonObject): number => asInteger(getKey(getKey(record, 'worker_request'), 'attempt')) ?? 1;

export const isTerminal = (record: JsonObject): boolean => isTerminalChildStatus(childStatusOf(record));
