/**
 * Runs a hook command detached, under a tiny `sh` wrapper that
 *   1. takes the delivery's `started` claim (`mkdir`, exclusive): if another wrapper took it, it
 *      exits without running anything, so the command starts at most once per delivery;
 *   2. runs the command under coreutils `timeout` (its own process group, SIGTERM at the timeout,
 *      SIGKILL after the kill grace), stdin = the payload file, stdout and stderr to the log;
 *   3. writes the wait status to the exit file atomically.
 * The supervisor never waits for it: a hung hook is ended by `timeout` even if the supervisor dies.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { HOOK_KILL_AFTER_MS } from '../config/defaults.js';
import type { DeliveryFiles } from './ledger.js';

const HOOK_WRAPPER = `
started=$1; payload=$2; exitfile=$3; secs=$4; kill_after=$5
shift 5
mkdir "$started" 2>/dev/null || exit 0
timeout -k "$kill_after" "$secs" "$@" < "$payload"
status=$?
printf '{"wait_status":%s}\\n' "$status" > "$exitfile.tmp" && mv -f "$exitfile.tmp" "$exitfile"
`;

/** `timeout`'s exit status when it ended the command at the time limit (124) or had to SIGKILL it (128 + 9). */
export const TIMEOUT_STATUSES = new Set([124, 137]);

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** Starts the wrapper for one delivery (detached, own process group) and returns at once. */
export const startHookCommand = (files: DeliveryFiles, argv: readonly string[], timeoutMs: number, cwd: string): void => {
  const log = openSync(files.log, 'a');
  try {
    const child = spawn('sh', ['-c', HOOK_WRAPPER, 'captain-hook', files.started, files.payload, files.exit, seconds(timeoutMs), seconds(HOOK_KILL_AFTER_MS), ...argv], {
      cwd,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', () => undefined);
    child.unref();
  } finally {
    closeSync(log);
  }
};
