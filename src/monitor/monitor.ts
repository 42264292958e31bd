/**
 * The worker monitor: one detached process per delegation that starts the worker in its own
 * process group (stdin closed unless a file is given, stdout to the raw events file, stderr to
 * its own file), records what proves the worker's identity, waits for it to exit, removes any
 * process the worker left behind in its group, and finalizes the record from the adapter's
 * completion snapshot plus the exit status.
 *
 * Every write is fenced: it happens under the record lock and only while the record is still
 * `running` with this launch's `generation`. A delegation reclaimed or cancelled meanwhile is
 * never overwritten (upstream's supervisor has exactly that race).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_SETSID_WAIT_MS, WRAPPER_PID_WAIT_MS } from '../config/defaults.js';
import { describeError, isCaptainError } from '../errors.js';
import type { ExitInfo } from '../events/types.js';
import { childStatusOf } from '../lifecycle/derive.js';
import { applySpawnFailure, type SpawnFailure } from '../lifecycle/mutations.js';
import { captureProcessIdentity, type ProcessIdentity } from '../process/identity.js';
import { isGroupGone, isSignallableGroup, listGroupMembers, signalGroup } from '../process/group.js';
import { groupProvenByMember, terminateWorker } from '../process/terminate.js';
import { readJsonObjectSync } from '../store/json-file.js';
import { delegationPath, resolveLaunchFiles, runLayout } from '../store/paths.js';
import { updateJsonRecord } from '../store/update-record.js';
import { asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { formatRfc3339 } from '../util/time.js';
import type { RunContext } from '../ops/context.js';
import { workerKindOf } from '../ops/worker-kind.js';
import { workerProcessRef } from '../ops/liveness.js';
import { monitorCommand } from '../ops/self-command.js';
import { exitRecordedAtMs, finalizeFromWrapperExit } from './finalize.js';
import { collectWorktree } from '../worktree/collect.js';
import { worktreeOf } from '../worktree/record.js';
import { readWrapperExit, WRAPPER_SCRIPT, wrapperExitFile, wrapperPidFile } from './wrapper.js';
import { REDACTED, restoreLaunchEnv } from '../workers/launch-env.js';

const stringEntries = (value: unknown): Record<string, string> =>
  isJsonObject(value) ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};

const generationOf = (record: JsonObject): string | undefined => asString(getKey(getKey(record, 'worker_lifecycle'), 'generation'));

/** True while this launch still owns the record. */
const owns = (record: JsonObject, generation: string): boolean =>
  childStatusOf(record) === 'running' && generationOf(record) === generation;

const withLifecycle = (record: JsonObject, patch: JsonObject, top: JsonObject = {}): JsonObject => ({
  ...record,
  ...top,
  worker_lifecycle: { ...(getKey(record, 'worker_lifecycle') as JsonObject), ...patch },
});

const stdoutLog = (message: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
};

/** Where a launch runs: in its own process (`monitor/main.js`), or inside the delegating process. */
export interface LaunchOptions {
  /** Where progress lines go. @default this process's stdout */
  log?: (message: string) => void;
  /** Secret `--env` values (redacted on disk) the delegating process holds. */
  secrets?: Record<string, string>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * After the worker exited, SIGTERM then SIGKILL whatever is left in its process group, but only
 * members proven to be the worker's (started before it ended; see `groupProvenByMember`).
 */
const reapLeftovers = async (record: JsonObject, endedAt: string, graceMs: number): Promise<number[]> => {
  const pgid = workerProcessRef(record).pgid;
  if (pgid === null || !isSignallableGroup(pgid)) return [];
  const leftovers = listGroupMembers(pgid);
  if (leftovers.length === 0) return [];
  const identity = workerProcessRef(record).identity;
  if (!groupProvenByMember(pgid, identity, endedAt)) return [];
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !isGroupGone(pgid)) await sleep(25);
  if (!isGroupGone(pgid)) signalGroup(pgid, 'SIGKILL');
  return leftovers;
};


/** Waits for the child's exit; resolves with its code or signal, or with why it could not start. */
const waitForExit = (child: ReturnType<typeof spawn>): Promise<ExitInfo | SpawnFailure> =>
  new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ errno: error.code ?? 'EUNKNOWN', path: error.path ?? '', message: error.message });
    });
  });

const isSpawnFailure = (value: ExitInfo | SpawnFailure): value is SpawnFailure => 'errno' in value;

/** The cwd must be a directory: Node reports a missing cwd as the binary's ENOENT, which misleads. */
const checkCwd = (cwd: string): SpawnFailure | null => {
  try {
    if (statSync(cwd).isDirectory()) return null;
    return { errno: 'ENOTDIR', path: cwd, message: `the worker's cwd ${cwd} is not a directory` };
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    return { errno, path: cwd, message: `the worker's cwd ${cwd} cannot be used (${errno})` };
  }
};

/** Finalizes a delegation whose worker never started: failed, `failure_reason: spawn_failed`, errno and path recorded. */
const recordSpawnFailure = async (path: string, generation: string, failure: SpawnFailure, at: string): Promise<boolean> => {
  const { written } = await updateJsonRecord(path, (current) => (owns(current, generation) ? applySpawnFailure(current, failure, at, workerKindOf(current)) : undefined));
  return written;
};

/** Claims the delegation for this monitor; false when the launch was superseded or already ended. */
const claim = async (path: string, generation: string, monitor: ProcessIdentity | null): Promise<boolean> => {
  const { written } = await updateJsonRecord(path, (current) => {
    if (!owns(current, generation)) return undefined;
    return withLifecycle(current, { monitor_identity: monitor as JsonObject | null, monitor_process_id: process.pid });
  });
  return written;
};

export const runMonitor = async (ctx: RunContext, delegationId: string, generation: string, opts: LaunchOptions = {}): Promise<number> => {
  const log = opts.log ?? stdoutLog;
  const secrets = opts.secrets ?? {};
  const path = delegationPath(ctx.runDir, delegationId);
  const me = captureProcessIdentity(process.pid);
  if (!(await claim(path, generation, me))) {
    log(`delegation ${delegationId}: launch ${generation} is no longer current; nothing to do`);
    return 0;
  }
  const record = readJsonObjectSync(path);
  const request = getKey(record, 'worker_request');
  const evidence = getKey(record, 'worker_launch_evidence');
  const command = getKey(evidence, 'command');
  const argv = Array.isArray(command) ? command.filter((a): a is string => typeof a === 'string') : [];
  const [file, ...args] = argv;
  if (file === undefined) throw new Error(`${path}: worker_launch_evidence.command is missing; expected the argv to run`);
  // The files the worker writes are truncated: they must lie inside the run (after symlinks), as
  // every path read from a record does, unless the user opted out.
  let rawEventsFile: string;
  let stderrFile: string;
  let stdinFile: string | undefined;
  try {
    ({ rawEventsFile, stderrFile, stdinFile } = resolveLaunchFiles(ctx.runDir, record, { allowOutside: ctx.allowOutsidePaths, recordPath: path }));
  } catch (error) {
    const failure = { errno: isCaptainError(error) ? error.code : 'EINVAL', path: '', message: describeError(error) };
    await recordSpawnFailure(path, generation, failure, formatRfc3339(ctx.now()));
    log(`delegation ${delegationId}: ${failure.message}; not started`);
    return 0;
  }
  const env = getKey(request, 'env');
  const cwd = asString(getKey(request, 'cwd')) ?? ctx.runDir;
  const badCwd = checkCwd(cwd);
  if (badCwd !== null) {
    await recordSpawnFailure(path, generation, badCwd, formatRfc3339(ctx.now()));
    log(`delegation ${delegationId}: ${badCwd.message}; not started`);
    return 0;
  }
  const current = { ...process.env, ...secrets };
  const launchEnv = restoreLaunchEnv(stringEntries(getKey(request, 'launch_env')), stringEntries(env), current);
  // Explicit `--env` secrets come from the delegating process (they are redacted on disk).
  for (const [name, value] of Object.entries(stringEntries(env))) if (value === REDACTED && current[name] !== undefined) launchEnv.env[name] = current[name];
  const stillRedacted = Object.entries(launchEnv.env).filter(([, value]) => value === REDACTED).map(([name]) => name);
  const missing = [...new Set([...launchEnv.missing, ...stillRedacted])];
  if (missing.length > 0) {
    const failure = { errno: 'ENV_MISSING', path: '', message: `the first launch had ${missing.join(', ')} (secret, not stored on disk) but this launcher's environment lacks ${missing.length === 1 ? 'it' : 'them'}; start the supervisor (or delegate again) with ${missing.length === 1 ? 'it' : 'them'} set` };
    await recordSpawnFailure(path, generation, failure, formatRfc3339(ctx.now()));
    log(`delegation ${delegationId}: ${failure.message}; not started`);
    return 0;
  }
  const out = openSync(rawEventsFile, 'w');
  const err = openSync(stderrFile, 'w');
  const input = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
  const pidFile = wrapperPidFile(ctx.runDir, delegationId, generation);
  const finalizer = monitorCommand();
  // The wrapper (sh, ~1.7 MB) is all that stays: it runs the worker in its own session and group,
  // records its exit, and hands finalizing to the supervisor or the Node finalizer.
  const wrapper = spawn('sh', [
    '-c', WRAPPER_SCRIPT, 'captain-wrapper',
    pidFile, wrapperExitFile(ctx.runDir, delegationId, generation), join(ctx.runDir, 'supervisor.json'),
    finalizer.file, ...finalizer.args, ctx.runDir, delegationId, generation, String(ctx.config.worker_kill_grace_ms),
    join(runLayout(ctx.runDir).rawEventsDir, `${delegationId}.monitor.log`),
    file, ...args,
  ], { cwd, detached: true, stdio: [input, out, err], env: launchEnv.env });
  const wrapperExited = waitForExit(wrapper);
  for (const fd of [out, err, ...(typeof input === 'number' ? [input] : [])]) closeSync(fd);
  if (wrapper.pid === undefined) {
    const outcome = await wrapperExited;
    const failure = isSpawnFailure(outcome) ? outcome : { errno: 'EUNKNOWN', path: 'sh', message: 'the worker wrapper (sh) did not start' };
    await recordSpawnFailure(path, generation, failure, formatRfc3339(ctx.now()));
    log(`delegation ${delegationId}: ${failure.message}; not started`);
    return 0;
  }
  const wrapperIdentity = captureProcessIdentity(wrapper.pid);
  wrapper.unref();
  const pid = await waitForPidFile(pidFile, WRAPPER_PID_WAIT_MS);
  if (pid === undefined) {
    log(`delegation ${delegationId}: the wrapper ${wrapper.pid} never reported a worker pid; the supervisor will finalize from what it finds`);
    return 1;
  }
  const startedAt = formatRfc3339(ctx.now());
  const identity = await captureWorkerIdentity(pid);
  const started = await updateJsonRecord(path, (current) => {
    if (!owns(current, generation)) return undefined;
    return withLifecycle(
      current,
      {
        state: 'running_active',
        started_at: startedAt,
        process_id: pid,
        process_group_id: pid,
        process_identity: identity as JsonObject | null,
        process_started_at: identity?.started_at ?? startedAt,
        process_last_seen_at: startedAt,
        last_progress_at: startedAt,
        raw_events_size: 0,
        // While the worker runs, its wrapper stands in for the monitor: alive means "results will come".
        monitor_identity: wrapperIdentity as JsonObject | null,
        monitor_process_id: wrapper.pid ?? null,
        summary: 'worker started',
      },
      { updated_at: startedAt },
    );
  });
  if (!started.written) {
    // Cancelled or reclaimed while we were starting it: the worker must not outlive that decision.
    await terminateWorker({ pid, pgid: pid, identity }, ctx.config.worker_kill_grace_ms);
    log(`delegation ${delegationId}: superseded during launch; worker ${pid} terminated`);
    return 0;
  }
  log(`delegation ${delegationId}: worker ${pid} started under wrapper ${wrapper.pid}: ${argv.join(' ')}`);
  return 0;
};

/**
 * The worker's identity once `setsid` has taken effect: the wrapper reports the pid of the process
 * that is about to call setsid(2) and exec the worker, so a look at once can still see the wrapper's
 * group. Waits (briefly) until the process leads its own group; a process that never does (it
 * exited, or setsid failed) is recorded as seen.
 */
const captureWorkerIdentity = async (pid: number): Promise<ProcessIdentity | null> => {
  const deadline = Date.now() + WORKER_SETSID_WAIT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    const identity = captureProcessIdentity(pid);
    if (identity === null || identity.pgid === pid || Date.now() >= deadline) return identity;
    await sleep(delay);
  }
};

/** Polls for the wrapper's pid file (written right after it forks the worker). */
const waitForPidFile = async (pidFile: string, waitMs: number): Promise<number | undefined> => {
  const deadline = Date.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 1) return pid;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(delay);
  }
};

/**
 * `monitor/main.js … --finalize`: run by the wrapper after the worker exited, when no live
 * supervisor will. Removes what the worker left in its group (proven to be the worker's), then
 * writes the result, fenced by the launch generation.
 */
export const runFinalizer = async (ctx: RunContext, delegationId: string, generation: string): Promise<number> => {
  const log = stdoutLog;
  const path = delegationPath(ctx.runDir, delegationId);
  const record = readJsonObjectSync(path);
  if (!owns(record, generation)) {
    log(`delegation ${delegationId}: already finalized (or superseded); nothing to do`);
    return 0;
  }
  const exitFile = wrapperExitFile(ctx.runDir, delegationId, generation);
  const exit = readWrapperExit(exitFile);
  const endedAtMs = exitRecordedAtMs(exitFile) ?? ctx.now();
  const orphans = await reapLeftovers(record, formatRfc3339(endedAtMs), ctx.config.worker_kill_grace_ms);
  const { written, record: after } = await updateJsonRecord(path, (current) => {
    if (!owns(current, generation)) return undefined;
    const done = finalizeFromWrapperExit(ctx, path, current, exit, endedAtMs);
    return orphans.length > 0 ? withLifecycle(done, { orphans_reaped: orphans }) : done;
  });
  log(written ? `delegation ${delegationId}: finalized: ${String(after.result_summary)}` : `delegation ${delegationId}: finalized by someone else meanwhile; left as it is`);
  if (worktreeOf(after) !== undefined) {
    try {
      const { outcome } = await collectWorktree(ctx, path);
      log(`delegation ${delegationId}: worktree ${outcome}`);
    } catch (error) {
      log(`delegation ${delegationId}: collecting its worktree failed (the next reader collects it): ${describeError(error)}`);
    }
  }
  return 0;
};
