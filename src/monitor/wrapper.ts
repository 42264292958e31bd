/**
 * The worker wrapper: a POSIX `sh` script (~1.7 MB RSS) that is the only captain process alive
 * while a worker runs. Started detached by the short-lived launcher (`monitor/main.js`), it
 *   1. starts the worker with `setsid`, so the worker leads its own session and process group
 *      (killing that group never kills the wrapper);
 *   2. writes the worker's pid to `<id>.<generation>.pid` for the launcher to record its identity;
 *   3. waits for it, and writes its wait status atomically to `<id>.<generation>.exit.json`;
 *   4. unless a live supervisor holds the run (it finalizes from the exit file at once), execs the
 *      Node finalizer (`monitor/main.js … --finalize`), which reaps leftovers and writes the result.
 * Whoever finalizes (the finalizer, the supervisor, any `captain status`) does it under the record
 * lock, fenced by the launch generation, so exactly one result is written.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { ExitInfo } from '../events/types.js';
import { runLayout } from '../store/paths.js';

/** argv after the script: pidfile exitfile supervisorfile finalizer-node finalizer-main rundir id generation grace monitor-log, then the worker's argv */
export const WRAPPER_SCRIPT = `
pidfile=$1; exitfile=$2; supfile=$3; node=$4; main=$5; rundir=$6; id=$7; gen=$8; grace=$9; log=\${10}
shift 10
exec 3<&0
setsid "$@" <&3 3<&- &
exec 3<&-
child=$!
printf '%s\\n' "$child" > "$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"
wait "$child"
status=$?
printf '{"wait_status":%s,"worker_pid":%s}\\n' "$status" "$child" > "$exitfile.tmp" && mv -f "$exitfile.tmp" "$exitfile"
sup=$(sed -n 's/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p' "$supfile" 2>/dev/null | head -n 1)
if [ -n "$sup" ] && kill -0 "$sup" 2>/dev/null; then exit 0; fi
exec "$node" "$main" "$rundir" "$id" "$gen" "$grace" --finalize </dev/null >>"$log" 2>&1
`;

export const wrapperPidFile = (runDir: string, id: string, generation: string): string => join(runLayout(runDir).rawEventsDir, `${id}.${generation}.pid`);
export const wrapperExitFile = (runDir: string, id: string, generation: string): string => join(runLayout(runDir).rawEventsDir, `${id}.${generation}.exit.json`);

/** What the wrapper recorded about the worker's end. */
export interface WrapperExit {
  /** The shell's wait status: the exit code, or 128 + the signal number. */
  wait_status: number;
  worker_pid: number;
}

/** The wrapper's exit record, or null when it is absent or unreadable (the wrapper died first). */
export const readWrapperExit = (path: string): WrapperExit | null => {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { wait_status, worker_pid } = value as Record<string, unknown>;
    return typeof wait_status === 'number' && typeof worker_pid === 'number' ? { wait_status, worker_pid } : null;
  } catch {
    return null;
  }
};

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/**
 * The exit as captain records it. A shell reports a death by signal N as 128 + N; a status in
 * 129..(128 + highest signal) with a known signal name is read as that signal (a program that
 * itself exits 130 reads as SIGINT: the shell cannot tell them apart, and neither can captain).
 */
export const exitInfoOf = (exit: WrapperExit): ExitInfo => {
  const signal = exit.wait_status > 128 ? SIGNAL_NAMES.get(exit.wait_status - 128) : undefined;
  return signal !== undefined ? { code: null, signal } : { code: exit.wait_status, signal: null };
};
