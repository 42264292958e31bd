/**
 * captain's library API. The CLI and the MCP server are thin adapters over these functions.
 */
export * from './lifecycle/index.js';
export { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from './config/defaults.js';
export { resolveRuntimeConfig } from './config/index.js';
export { CaptainError, isCaptainError, type CaptainErrorCode } from './errors.js';
export { openRunContext, targetTaskCardId, type RunContext } from './ops/context.js';
export {
  getStatus,
  getStatusAsync,
  getStatusDocument,
  type StatusDocumentOptions,
  type StatusOptions,
  type StatusRefresh,
  type StatusResult,
  type StatusResultOf,
  type TaskCardStatus,
  type RecordError,
} from './ops/status.js';
export { openRecordCache, recordCacheFile, type RecordCache, type RecordCacheCounts, type RecordCacheOptions, type RecordCacheSave } from './store/record-cache.js';
export { JsonText } from './util/json-text.js';
export { writeJsonDocument } from './cli/json-stream.js';
export { observeDelegation, refreshDelegationSync, type Observation } from './ops/refresh.js';
export { reclaimStuckWorkers, reclaimDelegation, type ReclaimResult, type ReclaimedWorker } from './ops/reclaim.js';
export { collapseFanIn, type FanInResult } from './ops/fan-in.js';
export { createRun, addTaskCard, listRuns, DEFAULT_RUNS_DIR, type CreatedRun, type RunSummary } from './ops/runs.js';
export { delegate, launchDelegation, type DelegateInput, type DelegateResult } from './ops/delegate.js';
export { cancelDelegation, getWorkerResult, readWorkerEvents, findDelegation } from './ops/worker.js';
export { appendRunEvent, readRunEvents, type RunEvent, type EventPage } from './store/events-log.js';
export type { Json, JsonObject } from './util/json.js';
