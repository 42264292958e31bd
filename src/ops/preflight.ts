/**
 * What `delegate` checks before it writes anything: the worker's cwd is a directory and its
 * program can be started (an executable file, or a name found on the PATH the worker will get).
 * A failure is an error that names the thing and says what to do, so `captain delegate` exits 1
 * instead of reporting `delegated` for a worker that can only fail. What can only fail at spawn
 * time is recorded by the monitor as `spawn_failed`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { CaptainError } from '../errors.js';
import type { WorkerKind } from '../events/types.js';
import { kindSpec } from '../kinds/registry.js';

export interface LaunchPlan {
  kind: WorkerKind;
  file: string;
  cwd: string;
  /** PATH as the worker will see it. */
  path: string | undefined;
}

const binFlag = (kind: WorkerKind): string | undefined => kindSpec(kind).binary?.flag;

const problemWith = (file: string): string | null => {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be examined (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (!isFile) return 'is not a file';
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return 'is not executable (chmod +x it, or run it through its interpreter, e.g. `-- bash script.sh`)';
  }
  return null;
};

/** The first executable file `name` in the folders of `pathValue` (a PATH value), if any. */
export const findOnPath = (name: string, pathValue: string | undefined): string | undefined => {
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (dir === '') continue;
    if (problemWith(join(dir, name)) === null) return join(dir, name);
  }
  return undefined;
};

/**
 * @throws CaptainError LAUNCH_FAILED when the cwd or the program is missing, unusable or not
 *   executable; the message names it and the next step.
 */
export const preflightLaunch = (plan: LaunchPlan): void => {
  let cwdIsDir = false;
  try {
    cwdIsDir = statSync(plan.cwd).isDirectory();
  } catch {
    cwdIsDir = false;
  }
  if (!cwdIsDir) {
    throw new CaptainError('LAUNCH_FAILED', `the worker's cwd ${plan.cwd} is not an existing directory; pass --cwd with a folder that exists`, { data: { field: 'cwd', path: plan.cwd } });
  }
  const flag = binFlag(plan.kind);
  if (plan.file.includes('/')) {
    const full = isAbsolute(plan.file) ? plan.file : resolve(plan.cwd, plan.file);
    const problem = problemWith(full);
    if (problem === null) return;
    const where = isAbsolute(plan.file) ? full : `${plan.file} (resolved against the worker's cwd: ${full})`;
    const hint = flag !== undefined ? `pass ${flag} with the path of the CLI, or put it on PATH` : 'check the path (a relative one is resolved against --cwd)';
    throw new CaptainError('LAUNCH_FAILED', `cannot start the worker: ${where} ${problem}; ${hint}`, { data: { field: 'command', path: full } });
  }
  if (findOnPath(plan.file, plan.path) !== undefined) return;
  const hint = flag !== undefined ? `put it on PATH or pass ${flag} PATH` : 'give its path (e.g. ./scripts/x.sh, resolved against --cwd) or put it on PATH';
  throw new CaptainError('LAUNCH_FAILED', `cannot start the worker: \`${plan.file}\` is not found on PATH; ${hint}`, { data: { field: 'command', path: plan.file } });
};
