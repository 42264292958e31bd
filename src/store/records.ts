/**
 * Loading every delegation or task card of a run for the status views. Built for many records:
 * one plain read per file into one reused buffer, no locks, no schema pass over whole objects; one
 * bad file becomes an error entry and never hides the others.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CaptainError, describeError, isCaptainError } from '../errors.js';
import type { JsonObject } from '../util/json.js';
import { createReadScratch, readJsonObjectSync, type ReadScratch, type RecordSource } from './json-file.js';
import { runLayout } from './paths.js';

/** One record read from disk. */
export interface LoadedRecord {
  /** Full path of the file. */
  path: string;
  /** Its file name (`<id>.json`). */
  fileName: string;
  record: JsonObject;
}

/** A file that could not be used, and why. */
export interface RecordLoadError {
  path: string;
  reason: string;
}

export interface LoadedRecords {
  records: LoadedRecord[];
  errors: RecordLoadError[];
}

/** Upstream's reader filter: extension `json`, but not a `*.result.json` sidecar. */
const isRecordFileName = (name: string): boolean =>
  name.endsWith('.json') && name !== '.json' && !name.endsWith('.result.json');

/** Full paths of the record files in `dir`, sorted by file name; null when the folder does not exist. */
const listRecordFilesOrNull = (dir: string): string[] | null => {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CaptainError('IO', `${dir}: could not list the folder (${describeError(error)})`, { cause: error, data: { path: dir } });
  }
  // `join(dir, name)` for each, without normalizing 10k times: a listed name is one component (no
  // separator, never '.' or '..'), so it only needs the normalized folder and a separator before it.
  const prefix = join(dir, 'x').slice(0, -1);
  return names
    .filter(isRecordFileName)
    .sort()
    .map((name) => prefix + name);
};

/** What reading one record file gives: the record, why it cannot be used, or null when it is gone. */
export type RecordFileRead = { record: JsonObject } | { error: RecordLoadError } | null;

/**
 * One record file, read with `scratch`: the record, or why it cannot be used; null when it was
 * removed after the folder was listed (e.g. cleaned up), which is not an error. `source` (see
 * `readJsonObjectSync`) learns what was read.
 */
export const readRecordFile = (path: string, scratch: ReadScratch, source?: RecordSource): RecordFileRead => {
  try {
    return { record: readJsonObjectSync(path, scratch, source) };
  } catch (error) {
    if (isCaptainError(error) && error.code === 'NOT_FOUND') return null;
    const reason = isCaptainError(error) && typeof error.data?.['reason'] === 'string' ? error.data['reason'] : describeError(error);
    return { error: { path, reason } };
  }
};

const listRecordFiles = (dir: string): string[] => listRecordFilesOrNull(dir) ?? [];

const loadRecords = (dir: string): LoadedRecords => {
  const records: LoadedRecord[] = [];
  const errors: RecordLoadError[] = [];
  const scratch = createReadScratch();
  for (const path of listRecordFiles(dir)) {
    const read = readRecordFile(path, scratch);
    if (read === null) continue;
    if ('error' in read) errors.push(read.error);
    else records.push({ path, fileName: path.slice(dir.length + 1), record: read.record });
  }
  return { records, errors };
};

/** `delegations/*.json` (without `*.result.json`) of the run, full paths sorted by file name; [] without the folder. */
export const listDelegationFiles = (runDir: string): string[] => listRecordFiles(runLayout(runDir).delegationsDir);

/** Like {@link listDelegationFiles}, but null when the run has no `delegations/` folder (the seed then reports no payloads). */
export const listDelegationFilesOrNull = (runDir: string): string[] | null => listRecordFilesOrNull(runLayout(runDir).delegationsDir);

/** `task-cards/*.json` of the run, full paths sorted by file name; [] without the folder. */
export const listTaskCardFiles = (runDir: string): string[] => listRecordFiles(runLayout(runDir).taskCardsDir);

/**
 * Reads every delegation record of the run. Files that cannot be read or are not one JSON object
 * land in `errors` with the reason; the rest load normally.
 */
export const loadDelegations = (runDir: string): LoadedRecords => loadRecords(runLayout(runDir).delegationsDir);

/** Reads every task card of the run, like {@link loadDelegations}. */
export const loadTaskCards = (runDir: string): LoadedRecords => loadRecords(runLayout(runDir).taskCardsDir);
