/**
 * The run store over a run directory (upstream's layout): a thin wrapper over the store's file
 * functions, so it keeps every guarantee they give — regular files only, paths checked to stay
 * inside the run, atomic writes that keep unknown keys, per-record locks that break a dead holder's
 * lock at once, the O_APPEND event log with byte-offset cursors, and `supervisor.json` for the slot.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CaptainError } from '../errors.js';
import { acquireSupervisorSlot, currentHolder } from '../supervisor/holder.js';
import type { JsonObject } from '../util/json.js';
import { appendRunEvent, readRunEvents, type EventPage, type RunEvent } from './events-log.js';
import { createReadScratch, guardWrite, writeJsonAtomic } from './json-file.js';
import { withRecordLock } from './lock.js';
import { delegationPath } from './paths.js';
import { loadDelegations, readRecordFile, type LoadedRecords } from './records.js';
import type { RecordLoad, RunStore, SupervisorHolder } from './run-store.js';
import { updateJsonRecord, type RecordMutation, type RecordUpdate } from './update-record.js';
import { watchRun, type RunWatch, type WatchRunOptions } from './watch-run.js';

const exists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

export class FileRunStore implements RunStore {
  constructor(readonly runDir: string) {}

  async loadRecords(): Promise<LoadedRecords> {
    return loadDelegations(this.runDir);
  }

  async loadRecord(id: string): Promise<RecordLoad> {
    return readRecordFile(delegationPath(this.runDir, id), createReadScratch());
  }

  async createRecord(id: string, record: JsonObject): Promise<void> {
    const path = delegationPath(this.runDir, id);
    // Checked before the lock, so not even the lock directory is made outside the run.
    guardWrite(path, { runDir: this.runDir });
    mkdirSync(dirname(path), { recursive: true });
    await withRecordLock(path, async (lock) => {
      // Anything at the path (even a dangling link) is an existing record: never written over.
      if (exists(path)) throw new CaptainError('USAGE', `${path}: delegation ${id} already exists`, { data: { path, id } });
      lock.assertHeld();
      await writeJsonAtomic(path, record, { runDir: this.runDir });
    });
  }

  async updateRecord(id: string, mutate: RecordMutation): Promise<RecordUpdate> {
    return updateJsonRecord(delegationPath(this.runDir, id), mutate);
  }

  async appendEvent(event: RunEvent): Promise<number> {
    return appendRunEvent(this.runDir, event);
  }

  async readEvents(cursor: number, opts: { limit?: number } = {}): Promise<EventPage> {
    return readRunEvents(this.runDir, cursor, opts);
  }

  watch(opts: WatchRunOptions = {}): RunWatch {
    return watchRun(this.runDir, opts);
  }

  acquireSupervisorSlot(command: string): Promise<() => void> {
    return acquireSupervisorSlot(this.runDir, command);
  }

  async currentHolder(): Promise<SupervisorHolder | null> {
    return currentHolder(this.runDir);
  }
}
