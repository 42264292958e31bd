/**
 * The run-store port: everything captain needs from where a run's records live. `FileRunStore`
 * (the run directory, upstream's layout) is the first implementation; any other must pass the
 * conformance suite in `test/store/run-store-conformance.ts`.
 *
 * Guarantees every implementation gives:
 * - `updateRecord` is a locked read-modify-write: N concurrent updaters (threads, processes) lose
 *   no update, and the mutation receives the whole stored object, so keys captain does not know
 *   survive; a holder that died does not block the record.
 * - a record that cannot be used (corrupt, not an object, not a regular file) is reported in
 *   `errors` / as `{error}`, never thrown from a load, and never hides the other records.
 * - the event log is append-only; a cursor from `readEvents` or a watched `transition` resumes with
 *   no event missed or repeated; a torn (unterminated) tail is not returned until it is whole.
 * - `watch` delivers a change after a write, and ends when its signal aborts.
 * - the supervisor slot has at most one live holder; a dead holder's slot is taken over at once.
 */
import type { JsonObject } from '../util/json.js';
import type { EventPage, RunEvent } from './events-log.js';
import type { LoadedRecords, RecordLoadError } from './records.js';
import type { RecordMutation, RecordUpdate } from './update-record.js';
import type { RunWatch, WatchRunOptions } from './watch-run.js';

/** Who holds a run's supervisor slot. */
export interface SupervisorHolder extends JsonObject {
  pid: number;
  identity: JsonObject | null;
  started_at: string;
  command: string;
}

/** One record by id: the object, why it cannot be used, or null when there is none. */
export type RecordLoad = { record: JsonObject } | { error: RecordLoadError } | null;

export interface RunStore {
  /** Where the run lives (for a file store, its directory). */
  readonly runDir: string;
  /** Every delegation record; unusable ones in `errors` with the reason. */
  loadRecords(): Promise<LoadedRecords>;
  /** One delegation record. @throws CaptainError USAGE for an id that is not a plain name. */
  loadRecord(id: string): Promise<RecordLoad>;
  /** Stores a new delegation record. @throws CaptainError USAGE when one with that id exists. */
  createRecord(id: string, record: JsonObject): Promise<void>;
  /**
   * Locked read-modify-write of one delegation record (see {@link RecordMutation}).
   * @throws CaptainError NOT_FOUND without the record, INVALID_RECORD when it is corrupt, LOCK_TIMEOUT.
   */
  updateRecord(id: string, mutate: RecordMutation): Promise<RecordUpdate>;
  /** Appends one event to the run's log; returns the cursor just after it. */
  appendEvent(event: RunEvent): Promise<number>;
  /** Events after `cursor` (0: from the start), at most `limit`. */
  readEvents(cursor: number, opts?: { limit?: number }): Promise<EventPage>;
  /** Changes from now on (and log events after `opts.cursor`); see `watchRun`. */
  watch(opts?: WatchRunOptions): RunWatch;
  /** Takes the supervisor slot, or throws CaptainError USAGE naming the live holder. Returns the release. */
  acquireSupervisorSlot(command: string): Promise<() => void>;
  /** The live holder of the supervisor slot, or null. */
  currentHolder(): Promise<SupervisorHolder | null>;
}
