/** Finding and opening a run directory from what the user typed: a path or upstream's `ccc-run:` ref. */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CaptainError, isCaptainError } from '../errors.js';
import { asString, getKey, type JsonObject } from '../util/json.js';
import { readJsonObjectSync } from './json-file.js';
import { runLayout } from './paths.js';

const RUN_REF_PREFIX = 'ccc-run:';

/**
 * The absolute run directory named by `ref`: a plain path (relative to the working directory) or
 * upstream's `run_ref`, `ccc-run:<absolute run dir>`.
 * @throws CaptainError USAGE for an empty ref or a `ccc-run:` ref without an absolute path.
 */
export const parseRunRef = (ref: string): string => {
  const trimmed = ref.trim();
  if (trimmed.startsWith(RUN_REF_PREFIX)) {
    const dir = trimmed.slice(RUN_REF_PREFIX.length);
    if (!isAbsolute(dir)) {
      throw new CaptainError('USAGE', `run ref ${JSON.stringify(ref)}: expected ${RUN_REF_PREFIX}<absolute run directory>`, { data: { ref } });
    }
    return resolve(dir);
  }
  if (trimmed.length === 0) throw new CaptainError('USAGE', 'run ref is empty; expected a run directory or ccc-run:<absolute run directory>');
  return resolve(trimmed);
};

const notFound = (dir: string, what: string, cause?: unknown): CaptainError =>
  new CaptainError('RUN_NOT_FOUND', `${dir}: ${what}; a run directory is a folder holding run.json`, { cause, data: { path: dir } });

/** An open run: its real absolute directory and its parsed run.json. */
export interface OpenRun {
  runDir: string;
  run: JsonObject;
}

/**
 * Resolves `ref` (see {@link parseRunRef}) and reads its run.json.
 * @throws CaptainError RUN_NOT_FOUND when the folder or its run.json is missing; INVALID_RECORD when
 *   run.json is not one JSON object.
 */
export const openRunDir = (ref: string): OpenRun => {
  const dir = parseRunRef(ref);
  let runDir: string;
  try {
    runDir = realpathSync.native(dir);
  } catch (error) {
    throw notFound(dir, 'no such directory', error);
  }
  if (!statSync(runDir).isDirectory()) throw notFound(dir, 'not a directory');
  const runJson = runLayout(runDir).runJson;
  try {
    return { runDir, run: readJsonObjectSync(runJson) };
  } catch (error) {
    if (isCaptainError(error) && error.code === 'NOT_FOUND') throw notFound(runDir, 'no run.json here', error);
    throw error;
  }
};

/** run.json's `active_task_card_id` when it is a non-blank string, else null. */
export const activeTaskCardId = (run: JsonObject): string | null => {
  const value = asString(getKey(run, 'active_task_card_id'));
  return value !== undefined && value.trim().length > 0 ? value : null;
};
