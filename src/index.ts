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
export { writeJsonDocument } from './util/json-stream.js';
export { observeDelegation, refreshDelegationSync, type Observation } from './ops/refresh.js';
export { reclaimStuckWorkers, reclaimDelegation, type ReclaimResult, type ReclaimedWorker } from './ops/reclaim.js';
export { collapseFanIn, type FanInResult } from './ops/fan-in.js';
export { createRun, addTaskCard, DEFAULT_RUNS_DIR, type CreatedRun } from './ops/runs.js';
export { listRuns, latestRun, resolveWorkspace, type RunList, type RunListEntry, type LatestRun, type WorkspaceQuery } from './ops/run-list.js';
export { findWorkspace, ensureCaptainGitignore } from './store/workspace.js';
export { delegate, launchDelegation, type DelegateInput, type DelegateResult } from './ops/delegate.js';
export { followUp, type FollowUpInput, type FollowUpResult } from './ops/follow-up.js';
export { getBudget, setBudget, type BudgetChange, type BudgetReport } from './ops/budget.js';
export { readMachineLoad, readMemAvailable } from './process/meminfo.js';
export { cancelDelegation, getWorkerResult, readWorkerEvents, findDelegation } from './ops/worker.js';
export { appendRunEvent, readRunEvents, type RunEvent, type EventPage } from './store/events-log.js';
export type { LoadedRecord, LoadedRecords, RecordLoadError } from './store/records.js';
export type { RecordMutation, RecordUpdate } from './store/update-record.js';
export type { RecordLoad, RunStore, SupervisorHolder } from './store/run-store.js';
export { FileRunStore } from './store/file-run-store.js';
export { watchRun, type CursorEvent, type RunChange, type RunWatch, type WatchRunOptions } from './store/watch-run.js';
export { startSupervisor, type Supervisor, type SupervisorOptions } from './supervisor/supervisor.js';
export { superviseUnlessHeld } from './supervisor/supervise-unless-held.js';
export { currentHolder } from './supervisor/holder.js';
export { waitForFanIn, type WaitOptions, type WaitResult, type WaitWorker, type WaitOutcome } from './ops/wait.js';
export type { Json, JsonObject } from './util/json.js';
export { KIND_SPECS, allKindSpecs, isWorkerKind, kindSpec } from './kinds/registry.js';
export type { KindArgsInput, KindBinary, KindResumeInput, KindTerminal, WorkerKindSpec } from './kinds/spec.js';
export { MODEL_PRICES, PRICES_AS_OF, formatUsd, priceOf, tokenCostUsd, type CostReading, type ModelPrice } from './kinds/prices.js';
export { getDelegationDiff, type DelegationDiff } from './ops/worktree-diff.js';
export { applyWork, type ApplyResult } from './ops/worktree-apply.js';
export { cleanWorktrees, removeCollectedWorktree, type CleanResult } from './ops/worktree-clean.js';
export { worktreeFanInReport, type WorktreeFanInReport } from './ops/worktree-fan-in.js';
export { setWorktreePolicy, type WorktreePolicy } from './ops/worktrees.js';
export { collectWorktree, type CollectOutcome } from './worktree/collect.js';
export { worktreeDiskUsage, type WorktreeDiskUsage } from './worktree/disk.js';
export { worktreeOf, type WorktreeInfo, type Diffstat } from './worktree/record.js';
export { HOOK_EVENTS, hookEventOf, hookPayload, type HookEvent, type HookPayload } from './hooks/events.js';
export { loadHooks, parseHookFlag, hooksFromTable, userConfigPath, type HookDefinition, type LoadHooksInput } from './hooks/config.js';
export { createHookDispatcher, type HookDispatcher, type HookDispatcherOptions, type DeliveryOutcome } from './hooks/dispatcher.js';
