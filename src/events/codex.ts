/**
 * Codex CLI `exec --json` streams. Two layers:
 * - the upstream-compatible artifact scan (`createCodexScanner`): terminal event, thread id, last
 *   message and usage, with upstream's exact key rules (last value wins);
 * - typed events for live views (`codexEvents`), validated leniently with zod.
 */
import * as z from 'zod/mini';
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';
import type { NonJsonScan } from './lines.js';
import {
  COMPLETED_WITHOUT_MESSAGE,
  COMPLETED_WITH_MESSAGE,
  UPSTREAM_FAILURE_HEADLINE,
  signalHeadline,
  type KindVerdict,
} from './outcome.js';
import { clip, summarizeForVisibility } from './text.js';
import type { ExitInfo, FailureReason, ParsedLine, TerminalEvent, WorkerEvent } from './types.js';
import { lazy } from '../util/lazy.js';

/** The only event types that end a Codex turn (upstream `extract_worker_terminal_event_from_raw_events`). */
export const CODEX_TERMINAL_TYPES: readonly string[] = ['turn.completed', 'turn.failed'];

/** What one pass over a Codex stream found. Every field is "last value wins" except the flags. */
export interface CodexScan {
  threadId: string | null;
  lastMessage: string | null;
  usage: JsonObject | null;
  terminal: TerminalEvent | null;
  /** Some JSON line has `type == "error"` (upstream counts this as an execution failure). */
  errorLineSeen: boolean;
  /** `message` of the last `type == "error"` line. */
  lastErrorMessage: string | null;
}

/** Upstream's `Option::or_else` chain over raw values: the first key path that is present, even as null. */
const firstPresent = (...values: (Json | undefined)[]): Json | undefined => values.find((value) => value !== undefined);

const trimmedNonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
};

/** Upstream's thread id rule: `thread_id`, else `thread.id`, trimmed and non-empty. */
export const codexThreadIdOf = (value: Json): string | undefined =>
  trimmedNonEmpty(asString(getKey(value, 'thread_id')) ?? asString(getKey(getKey(value, 'thread'), 'id')));

/** Upstream's message rule: `item.text` of an `agent_message` item, else a string `message.content` of role assistant. */
export const codexMessageOf = (value: Json): string | undefined => {
  const item = getKey(value, 'item');
  const itemText = asString(getKey(item, 'type')) === 'agent_message' ? asString(getKey(item, 'text')) : undefined;
  const message = getKey(value, 'message');
  const text =
    itemText ?? (asString(getKey(message, 'role')) === 'assistant' ? asString(getKey(message, 'content')) : undefined);
  return trimmedNonEmpty(text);
};

/** Upstream's usage rule: the first present of `payload.info.total_token_usage`, `usage`, `response.usage`, `payload.usage`, if an object. */
export const codexUsageOf = (value: Json): JsonObject | undefined => {
  const payload = getKey(value, 'payload');
  const usage = firstPresent(
    getKey(getKey(payload, 'info'), 'total_token_usage'),
    getKey(value, 'usage'),
    getKey(getKey(value, 'response'), 'usage'),
    getKey(payload, 'usage'),
  );
  return isJsonObject(usage) ? usage : undefined;
};

/** Accumulates a `CodexScan` line by line (the same code serves the snapshot and the live folder). */
export const createCodexScanner = (): { add(line: ParsedLine): void; scan(): CodexScan } => {
  const scan: CodexScan = {
    threadId: null,
    lastMessage: null,
    usage: null,
    terminal: null,
    errorLineSeen: false,
    lastErrorMessage: null,
  };
  return {
    add({ value }) {
      if (value === undefined) return;
      const threadId = codexThreadIdOf(value);
      if (threadId !== undefined) scan.threadId = threadId;
      const message = codexMessageOf(value);
      if (message !== undefined) scan.lastMessage = message;
      const usage = codexUsageOf(value);
      if (usage !== undefined) scan.usage = usage;
      const type = asString(getKey(value, 'type'));
      if (type !== undefined && CODEX_TERMINAL_TYPES.includes(type) && isJsonObject(value)) {
        scan.terminal = { type, line: value };
      }
      if (type === 'error') {
        scan.errorLineSeen = true;
        scan.lastErrorMessage = asString(getKey(value, 'message')) ?? scan.lastErrorMessage;
      }
    },
    scan: () => ({ ...scan }),
  };
};

/**
 * `error.message` of a `turn.failed` event. Codex passes 4xx bodies through raw, so a message that is
 * itself a JSON error body (`{"error":{"message":...}}`) is unwrapped to that inner message.
 */
export const turnFailedMessage = (terminal: TerminalEvent | null): string | null => {
  if (terminal?.type !== 'turn.failed') return null;
  const message = asString(getKey(getKey(terminal.line, 'error'), 'message'));
  if (message === undefined) return null;
  try {
    const inner = asString(getKey(getKey(JSON.parse(message) as Json, 'error'), 'message'));
    if (inner !== undefined && inner.trim() !== '') return inner;
  } catch {
    // not a JSON body: the message as it is
  }
  return message;
};

const quoted = (text: string, maxChars: number): string => `"${summarizeForVisibility(text, maxChars).replace(/"/g, "'")}"`;

/**
 * The Codex verdict. `exit === null` is upstream compatibility (a worker that died unwatched): upstream's
 * status rules exactly, including "no terminal event but a message or usage counts as completed", with
 * captain's two fixes (failure phrases only count in non-JSON lines; the `turn.failed` message is quoted).
 * With an exit status, captain is strict: completed only after `turn.completed` and a clean exit.
 */
export const codexVerdict = (scan: CodexScan, nonJson: NonJsonScan, exit: ExitInfo | null, rawBytes: number | null): KindVerdict => {
  const terminalType = scan.terminal?.type ?? null;
  const failedMessage = turnFailedMessage(scan.terminal);
  const base = {
    threadId: scan.threadId,
    sessionId: null,
    lastMessage: scan.lastMessage,
    usage: scan.usage,
    costUsd: null,
    terminal: scan.terminal,
    extra: {},
    error: failedMessage,
  };
  const completed = (): KindVerdict => ({
    ...base,
    status: 'completed',
    reason: null,
    headline: scan.lastMessage !== null ? COMPLETED_WITH_MESSAGE : COMPLETED_WITHOUT_MESSAGE,
    details: [],
  });
  const failed = (reason: FailureReason, headline: string, details: string[] = []): KindVerdict => ({
    ...base,
    status: 'failed',
    reason,
    headline,
    details: [...(terminalType !== null ? [`terminal_event=${terminalType}`] : []), ...details],
  });

  if (exit === null) {
    const status =
      terminalType === 'turn.completed' ||
      (terminalType === null && (scan.lastMessage !== null || scan.usage !== null))
        ? 'completed'
        : 'failed';
    if (status === 'completed') return completed();
    const reason: FailureReason =
      terminalType === 'turn.failed' || scan.errorLineSeen || nonJson.failurePhraseSeen
        ? 'execution_failed'
        : (rawBytes ?? 0) > 0
          ? 'invalid_output'
          : 'unknown';
    return failed(reason, UPSTREAM_FAILURE_HEADLINE, failedMessage !== null ? [`error=${quoted(failedMessage, 300)}`] : []);
  }

  if (exit.signal !== null) return failed('killed_by_signal', signalHeadline(exit.signal));
  if (terminalType === 'turn.failed') {
    const headline =
      failedMessage !== null ? `Codex turn failed: ${summarizeForVisibility(failedMessage, 300)}` : 'Codex turn failed.';
    return failed('execution_failed', headline);
  }
  if (terminalType === null) {
    const lastError = scan.lastErrorMessage !== null ? [`last_error=${quoted(scan.lastErrorMessage, 300)}`] : [];
    return failed('no_terminal_event', 'Worker exited without a terminal event (no turn.completed or turn.failed).', lastError);
  }
  // An unknown exit status (the monitor died) does not overrule the turn.completed the worker wrote.
  if (exit.code !== null && exit.code !== 0) return failed('execution_failed', `Worker exited with code ${String(exit.code)} after turn.completed.`);
  return completed();
};

// ---------------------------------------------------------------------------------------------
// Typed events for live views and logs.

/** The schemas, built on first use (see util/lazy.ts). */
const schemas = lazy(() => {
  const Usage = z.looseObject({});
  const ThreadStarted = z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() });
  const TurnCompleted = z.looseObject({ type: z.literal('turn.completed'), usage: z.nullish(Usage) });
  const TurnFailed = z.looseObject({
    type: z.literal('turn.failed'),
    error: z.nullish(z.looseObject({ message: z.nullish(z.string()) })),
  });
  const ErrorLine = z.looseObject({ type: z.literal('error'), message: z.string() });
  const ItemLine = z.looseObject({
    type: z.enum(['item.started', 'item.updated', 'item.completed']),
    item: z.looseObject({ id: z.nullish(z.string()), type: z.string() }),
  });
  const TextItem = z.looseObject({ text: z.string() });
  const CommandItem = z.looseObject({
    command: z.string(),
    aggregated_output: z.nullish(z.string()),
    exit_code: z.nullish(z.number()),
    status: z.nullish(z.string()),
  });
  const ErrorItem = z.looseObject({ message: z.string() });
  return { Usage, ThreadStarted, TurnCompleted, TurnFailed, ErrorLine, ItemLine, TextItem, CommandItem, ErrorItem };
});

const unknown = (reason: string, line: string): WorkerEvent => ({ type: 'unknown', reason, line: clip(line, 200) });

/** Typed events of one item line (`item.started` / `item.updated` / `item.completed`). */
const itemEvents = (value: unknown, line: string): WorkerEvent[] => {
  const parsed = schemas().ItemLine.safeParse(value);
  if (!parsed.success) return [unknown('item event without an item {type}', line)];
  const { type, item } = parsed.data;
  const label = `${type}:${item.type}`;
  if (item.type === 'agent_message' || item.type === 'reasoning') {
    if (type !== 'item.completed') return [{ type: 'progress', eventType: label }];
    const text = schemas().TextItem.safeParse(item);
    if (!text.success) return [unknown(`${item.type} item without text`, line)];
    return [{ type: item.type, text: text.data.text }];
  }
  if (item.type === 'command_execution') {
    const command = schemas().CommandItem.safeParse(item);
    if (!command.success) return [unknown('command_execution item without a command', line)];
    if (type === 'item.started') return [{ type: 'command_started', command: command.data.command }];
    if (type === 'item.updated') return [{ type: 'progress', eventType: label }];
    return [
      {
        type: 'command_completed',
        command: command.data.command,
        exitCode: command.data.exit_code ?? null,
        status: command.data.status ?? null,
        output: command.data.aggregated_output ?? '',
      },
    ];
  }
  if (item.type === 'error') {
    const error = schemas().ErrorItem.safeParse(item);
    if (!error.success) return [unknown('error item without a message', line)];
    return [{ type: 'error', message: error.data.message, status: null }];
  }
  return [{ type: 'progress', eventType: label }];
};

/**
 * The typed events of one parsed Codex line. Non-JSON lines are `output`; JSON lines that miss the
 * fields their type promises, or have no string `type`, are `unknown`; well-formed types captain does
 * not interpret are `progress`. Never throws.
 */
export const codexEvents = ({ text, value }: ParsedLine): WorkerEvent[] => {
  if (value === undefined) return text.trim() === '' ? [] : [{ type: 'output', text }];
  const type = asString(getKey(value, 'type'));
  if (type === undefined) return [unknown('JSON line without a string type', text)];
  switch (type) {
    case 'thread.started': {
      const parsed = schemas().ThreadStarted.safeParse(value);
      return parsed.success ? [{ type: 'thread_started', threadId: parsed.data.thread_id }] : [unknown('thread.started without thread_id', text)];
    }
    case 'turn.started':
      return [{ type: 'turn_started' }];
    case 'turn.completed': {
      const parsed = schemas().TurnCompleted.safeParse(value);
      return parsed.success
        ? [{ type: 'turn_completed', usage: (parsed.data.usage as JsonObject | null | undefined) ?? null }]
        : [unknown('turn.completed with a non-object usage', text)];
    }
    case 'turn.failed': {
      const parsed = schemas().TurnFailed.safeParse(value);
      return parsed.success
        ? [{ type: 'turn_failed', message: parsed.data.error?.message ?? null }]
        : [unknown('turn.failed with a malformed error', text)];
    }
    case 'error': {
      const parsed = schemas().ErrorLine.safeParse(value);
      return parsed.success ? [{ type: 'error', message: parsed.data.message, status: null }] : [unknown('error without a message', text)];
    }
    case 'item.started':
    case 'item.updated':
    case 'item.completed':
      return itemEvents(value, text);
    default:
      return [{ type: 'progress', eventType: type }];
  }
};
