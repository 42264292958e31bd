/** Worker event streams: bounded reads, per-kind parsing, the completion snapshot, live folding, rendering. */
export { readHeadTailSync, rawTextLines, isMissingFileError, type HeadTail, type RawText } from './bounded-read.js';
export {
  CODEX_TERMINAL_TYPES,
  codexEvents,
  codexVerdict,
  createCodexScanner,
  codexMessageOf,
  codexThreadIdOf,
  codexUsageOf,
  turnFailedMessage,
  type CodexScan,
} from './codex.js';
export { claudeEvents, claudeVerdict, createClaudeScanner, type ClaudeScan } from './claude.js';
export { commandEvents, commandVerdict, createCommandScanner, type CommandScan } from './command.js';
export { FAILURE_PHRASES, createNonJsonScanner, parseLine, type NonJsonScan } from './lines.js';
export type { KindVerdict } from './outcome.js';
export { createKindScanner, eventsOf, type KindScanner, type StreamArtifacts } from './scanner.js';
export {
  ASSISTANT_MESSAGE_PREVIEW_CHARS,
  RAW_OUTPUT_PREVIEW_CHARS,
  buildCompletionSnapshot,
  findTerminalEventSync,
  snapshotFromRawEventsFileSync,
  type CompletionSnapshot,
  type CompletionSnapshotInput,
  type RawFileOptions,
} from './snapshot.js';
export { createStreamFolder, foldStreamText, type StreamFolder, type StreamFolderOptions, type StreamFolderState } from './stream-folder.js';
export { renderEventLine, renderUsage } from './render.js';
export { asciiLowercase, capUtf8Bytes, clip, rustLines, summarizeForVisibility } from './text.js';
export {
  WORKER_KINDS,
  type ExitInfo,
  type FailureReason,
  type ParsedLine,
  type TerminalEvent,
  type WorkerEvent,
  type WorkerEventType,
  type WorkerKind,
} from './types.js';
