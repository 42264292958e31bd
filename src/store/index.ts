/** The run store: reading, locking and atomically updating upstream-compatible run records. */
export { guardWrite, readJsonObjectSync, writeJsonAtomic, writeJsonAtomicSync, type WriteOptions } from './json-file.js';
export { openRegularFileSync, type OpenFailure, type OpenedFile, type OpenRegularOptions } from './regular-file.js';
export { recordLockPath, tryWithRecordLockSync, withRecordLock, type RecordLockHandle, type RecordLockOptions } from './lock.js';
export { updateJsonRecord, updateJsonRecordSync, type RecordMutation, type RecordUpdate } from './update-record.js';
export {
  assertSafeId,
  assertWritableInsideRun,
  recordRunDir,
  resolveLaunchFiles,
  type LaunchFiles,
  defaultRawEventsPath,
  delegationPath,
  resolveInsideRun,
  resolveRawEventsFile,
  runLayout,
  taskCardPath,
  type IdSource,
  type InsideRunOptions,
  type RunLayout,
} from './paths.js';
export { activeTaskCardId, openRunDir, parseRunRef, type OpenRun } from './run-dir.js';
export {
  DelegationFields,
  ProcessIdentityFields,
  RunFields,
  TaskCardFields,
  readDelegationFields,
  readRunFields,
  readTaskCardFields,
  type DelegationView,
  type ProcessIdentityView,
  type RunView,
  type TaskCardView,
} from './schemas.js';
export {
  listDelegationFiles,
  listTaskCardFiles,
  loadDelegations,
  loadTaskCards,
  type LoadedRecord,
  type LoadedRecords,
  type RecordLoadError,
} from './records.js';
export type { RecordLoad, RunStore, SupervisorHolder } from './run-store.js';
export { FileRunStore } from './file-run-store.js';
export { watchRun, type CursorEvent, type RunChange, type RunWatch, type WatchRunOptions } from './watch-run.js';
