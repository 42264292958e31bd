/**
 * The hook delivery ledger, inside the run: `hooks/<hook-id>/`. It is what makes each hook fire
 * exactly once per event across supervisor crashes and restarts, whoever supervises:
 *   - `since.json`: the log position from which the hook fires (set once, when a supervisor first
 *     runs it on this run, so a hook added later never replays the run's history);
 *   - `<cursor>.claim.json`: created exclusively (link of a complete temp file) by the dispatcher
 *     that delivers the event at log position `<cursor>`;
 *   - `<cursor>.started/`: created (`mkdir`, exclusive) by a command hook's wrapper right before it
 *     runs the command: whoever wins runs it, so a command never starts twice;
 *   - `<cursor>.exit.json`: the command's wait status, written by its wrapper;
 *   - `<cursor>.done.json`: the outcome (delivered, failed, timed_out, unknown) once known.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import { assertWritableInsideRun } from '../store/paths.js';
import { writeJsonAtomicSync } from '../store/json-file.js';
import type { JsonObject } from '../util/json.js';

export interface DeliveryFiles {
  claim: string;
  started: string;
  payload: string;
  log: string;
  exit: string;
  done: string;
}

export const hookDir = (runDir: string, hookId: string): string => join(runDir, 'hooks', hookId);

export const deliveryFiles = (runDir: string, hookId: string, cursor: number): DeliveryFiles => {
  const base = join(hookDir(runDir, hookId), String(cursor));
  return {
    claim: `${base}.claim.json`,
    started: `${base}.started`,
    payload: `${base}.payload.json`,
    log: `${base}.log`,
    exit: `${base}.exit.json`,
    done: `${base}.done.json`,
  };
};

const readObject = (path: string): JsonObject | null => {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
};

export const exists = (path: string): boolean => {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * Creates `path` with `value` only if it does not exist: a complete temp file hard-linked into
 * place (atomic and exclusive). Returns false when it already existed.
 */
export const createExclusive = (runDir: string, path: string, value: JsonObject): boolean => {
  assertWritableInsideRun(runDir, path, { field: 'hook ledger file' });
  mkdirSync(join(path, '..'), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value)}\n`, { flag: 'wx' });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`${path}: could not record the hook delivery (${describeError(error)})`);
  } finally {
    rmSync(temp, { force: true });
  }
};

/** The hook's start position on this run: the one recorded, else `end` recorded now. */
export const hookSince = (runDir: string, hookId: string, end: number, at: string): number => {
  const path = join(hookDir(runDir, hookId), 'since.json');
  createExclusive(runDir, path, { cursor: end, at });
  const cursor = readObject(path)?.cursor;
  return typeof cursor === 'number' && Number.isSafeInteger(cursor) && cursor >= 0 ? cursor : end;
};

export const readDone = (files: DeliveryFiles): JsonObject | null => readObject(files.done);
export const readClaim = (files: DeliveryFiles): JsonObject | null => readObject(files.claim);

export const readExitStatus = (files: DeliveryFiles): number | null => {
  const status = readObject(files.exit)?.wait_status;
  return typeof status === 'number' ? status : null;
};

export const writeDone = (runDir: string, files: DeliveryFiles, outcome: JsonObject): void => {
  writeJsonAtomicSync(files.done, outcome, { runDir });
};
