/**
 * The completion snapshot that finalizes a delegation record: upstream's
 * `build_worker_completion_snapshot` (same `worker_result` keys, same previews and summaries), read
 * from a bounded head and tail of the raw events file instead of the whole file, plus captain's fields
 * and its stricter rules for workers whose exit it observed.
 */
import { FINAL_MESSAGE_MAX_BYTES, RAW_EVENTS_HEAD_BYTES, RAW_EVENTS_TAIL_BYTES } from '../config/defaults.js';
import { asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { isMissingFileError, rawTextLines, readHeadTailSync, type RawText } from './bounded-read.js';
import { kindSpec } from '../kinds/registry.js';
import { createNonJsonScanner, parseLine } from './lines.js';
import { createKindScanner } from './scanner.js';
import { capUtf8Bytes, rustLines, summarizeForVisibility } from './text.js';
import type { ExitInfo, TerminalEvent, WorkerKind } from './types.js';
import { ASSISTANT_MESSAGE_PREVIEW_CHARS, RAW_OUTPUT_PREVIEW_CHARS } from '../config/defaults.js';

/** Upstream's preview caps (characters). */
export { ASSISTANT_MESSAGE_PREVIEW_CHARS, RAW_OUTPUT_PREVIEW_CHARS };
/** How many trailing stderr lines `stderr_preview` joins. */
const STDERR_PREVIEW_LINES = 4;

export interface CompletionSnapshotInput {
  kind: WorkerKind;
  /** The raw events text (see `readHeadTailSync`); null when the file does not exist. */
  text: RawText | null;
  /**
   * How the worker process ended. `null` = upstream compatibility: the worker died while nobody
   * watched (codex rules exactly as upstream). Non-null = captain watched the exit (strict rules).
   */
  exit: ExitInfo | null;
  /** RFC 3339 time written as `recorded_at`. */
  completedAt: string;
  /** The end of the worker's stderr, when captain kept it apart from the raw events. */
  stderrTail?: string;
}

export interface CompletionSnapshot {
  status: 'completed' | 'failed';
  summary: string;
  worker_result: JsonObject;
  latest_failure: JsonObject | null;
}

const processExitPayload = (exit: ExitInfo | null): JsonObject | null =>
  exit === null ? null : { success: exit.code === 0 && exit.signal === null, exit_code: exit.code, signal: exit.signal };

const exitDetails = (exit: ExitInfo | null): string[] => {
  if (exit === null) return [];
  if (exit.code !== null) return [`exit_code=${exit.code}`];
  return exit.signal !== null ? [`signal=${exit.signal}`] : ['exit_status=unknown'];
};

const stderrPreview = (stderrTail: string | undefined): string | null => {
  if (stderrTail === undefined) return null;
  const lines = rustLines(stderrTail)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.length === 0 ? null : summarizeForVisibility(lines.slice(-STDERR_PREVIEW_LINES).join(' '), RAW_OUTPUT_PREVIEW_CHARS);
};

/**
 * Builds the completion snapshot of a finished worker from its raw events text.
 *
 * - `exit === null` (upstream compatibility): codex status exactly as upstream (`turn.completed` →
 *   completed, `turn.failed` → failed, no terminal event but a message or usage → completed, else
 *   failed with execution_failed / invalid_output / unknown), except that failure phrases count only
 *   in non-JSON lines and the `turn.failed` message is quoted in the summary.
 * - `exit !== null` (captain's workers): a signal is `killed_by_signal`; no terminal event (codex
 *   `turn.*`, claude `result`) is `no_terminal_event` even with a message; a terminal success with a
 *   non-zero exit is `execution_failed`. Commands complete iff they exit 0.
 */
export const buildCompletionSnapshot = (input: CompletionSnapshotInput): CompletionSnapshot => {
  const { kind, text, exit, completedAt } = input;
  const scanner = createKindScanner(kind);
  const nonJson = createNonJsonScanner();
  if (text !== null) {
    for (const raw of rawTextLines(text)) {
      const line = parseLine(raw);
      scanner.add(line);
      nonJson.add(line);
    }
  }
  const rawBytes = text === null ? null : text.size;
  const rawPreviewLines = nonJson.scan().previewLines;
  // stderr kept apart counts for the transport-failure phrases, as it would inside upstream's mixed file.
  if (input.stderrTail !== undefined) for (const raw of rustLines(input.stderrTail)) nonJson.add(parseLine(raw));
  const verdict = scanner.verdict(nonJson.scan(), exit, rawBytes);

  const rawOutputPreview = rawPreviewLines.length > 0 ? summarizeForVisibility(rawPreviewLines.join(' '), RAW_OUTPUT_PREVIEW_CHARS) : null;
  const stderr = stderrPreview(input.stderrTail);
  const summary =
    verdict.status === 'completed'
      ? verdict.headline
      : [
          verdict.headline,
          ...verdict.details,
          ...exitDetails(exit),
          ...(rawBytes !== null ? [`raw_events_bytes=${rawBytes}`] : []),
          ...(rawOutputPreview !== null ? [`raw_output_preview="${rawOutputPreview}"`] : []),
          ...(stderr !== null ? [`stderr_preview="${stderr}"`] : []),
        ].join(' ');

  const workerResult: JsonObject = {
    status: verdict.status,
    recorded_at: completedAt,
    thread_id: verdict.threadId,
    assistant_message_preview: verdict.lastMessage !== null ? summarizeForVisibility(verdict.lastMessage, ASSISTANT_MESSAGE_PREVIEW_CHARS) : null,
    total_token_usage: verdict.usage,
    process_exit: processExitPayload(exit),
    raw_output_preview: rawOutputPreview,
    raw_output_bytes: rawBytes,
    kind,
    terminal_event: verdict.terminal?.type ?? null,
    failure_reason: verdict.reason,
    final_message: verdict.lastMessage !== null ? capUtf8Bytes(verdict.lastMessage, FINAL_MESSAGE_MAX_BYTES) : null,
    session_id: verdict.sessionId,
    cost_usd: verdict.costUsd,
    error_message: verdict.error,
    stderr_preview: stderr,
    ...verdict.extra,
  };
  const latestFailure: JsonObject | null =
    verdict.status === 'failed'
      ? { stage: 'execution', reason: verdict.reason, summary, recorded_at: completedAt }
      : null;
  return { status: verdict.status, summary, worker_result: workerResult, latest_failure: latestFailure };
};

/** Options of the file-reading helpers (window sizes default to the runtime constants). */
export interface RawFileOptions {
  stderrTail?: string;
  headBytes?: number;
  tailBytes?: number;
}

/**
 * `buildCompletionSnapshot` over a raw events file, read with `readHeadTailSync` (bounded, O(1) in the
 * file size). A missing file reads as no output (`raw_output_bytes: null`, as upstream).
 */
export const snapshotFromRawEventsFileSync = (
  path: string,
  kind: WorkerKind,
  exit: ExitInfo | null,
  completedAt: string,
  options: RawFileOptions = {},
): CompletionSnapshot => {
  let text: RawText | null;
  try {
    text = readHeadTailSync(path, options.headBytes ?? RAW_EVENTS_HEAD_BYTES, options.tailBytes ?? RAW_EVENTS_TAIL_BYTES);
  } catch (error) {
    if (!isMissingFileError(error)) throw error;
    text = null;
  }
  return buildCompletionSnapshot({
    kind,
    text,
    exit,
    completedAt,
    ...(options.stderrTail !== undefined ? { stderrTail: options.stderrTail } : {}),
  });
};

/**
 * The worker's terminal event, looking only at the last `tailBytes` of the file: codex's last
 * `turn.completed`/`turn.failed`, claude's and gemini's last `result` line (each kind's `terminal` rule). Commands have none (their exit decides),
 * and a missing file has none. Lines are JSON-parsed from the end, so the usual case parses one line.
 */
export const findTerminalEventSync = (path: string, kind: WorkerKind, tailBytes: number = RAW_EVENTS_TAIL_BYTES): TerminalEvent | null => {
  const rule = kindSpec(kind).terminal;
  if (rule === null) return null;
  let text: RawText;
  try {
    text = readHeadTailSync(path, 0, tailBytes);
  } catch (error) {
    if (isMissingFileError(error)) return null;
    throw error;
  }
  const lines = rawTextLines(text);
  // A terminal line names its type in plain text ("turn.completed", "turn.failed", "result"), unless
  // the type is \u-escaped: lines with neither cannot be terminal and are not worth parsing.
  const marker = rule.marker;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i] as string;
    if (!line.includes(marker) && !line.includes('\\u')) continue;
    const { value } = parseLine(line);
    if (value === undefined || !isJsonObject(value)) continue;
    const type = asString(getKey(value, 'type'));
    if (type !== undefined && rule.isTerminalType(type)) return { type, line: value };
  }
  return null;
};
