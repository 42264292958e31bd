/**
 * Claude Code `-p --output-format stream-json --verbose` streams: typed events (zod, lenient) and the
 * verdict. The run ends with one `result` line (which does not start with `"type"`, so lines are always
 * JSON-parsed); a run without it was interrupted (SIGINT exits 0 without one, SIGTERM exits 143).
 */
import * as z from 'zod/mini';
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';
import {
  COMPLETED_WITHOUT_MESSAGE,
  COMPLETED_WITH_MESSAGE,
  signalHeadline,
  type KindVerdict,
} from './outcome.js';
import { clip, summarizeForVisibility } from './text.js';
import type { ExitInfo, FailureReason, ParsedLine, TerminalEvent, WorkerEvent } from './types.js';
import { lazy } from '../util/lazy.js';

/** The schemas, built on first use (see util/lazy.ts). */
const schemas = lazy(() => {
  const Loose = z.looseObject({});
  const SystemLine = z.looseObject({ type: z.literal('system'), subtype: z.string() });
  const SystemInit = z.looseObject({
    session_id: z.string(),
    model: z.nullish(z.string()),
    cwd: z.nullish(z.string()),
  });
  const ApiRetry = z.looseObject({
    attempt: z.nullish(z.number()),
    max_retries: z.nullish(z.number()),
    retry_delay_ms: z.nullish(z.number()),
    error: z.nullish(z.string()),
    error_status: z.nullish(z.number()),
  });
  const PermissionDenied = z.looseObject({ tool_name: z.nullish(z.string()), message: z.nullish(z.string()) });
  const Block = z.looseObject({ type: z.string() });
  const TextBlock = z.looseObject({ text: z.string() });
  const ThinkingBlock = z.looseObject({ thinking: z.string() });
  const ToolUseBlock = z.looseObject({ id: z.nullish(z.string()), name: z.string(), input: z.unknown() });
  const ToolResultBlock = z.looseObject({
    tool_use_id: z.nullish(z.string()),
    is_error: z.nullish(z.boolean()),
    content: z.nullish(z.union([z.string(), z.array(Block)])),
  });
  const AssistantLine = z.looseObject({
    type: z.literal('assistant'),
    message: z.looseObject({ content: z.array(Block) }),
    is_api_error_message: z.nullish(z.boolean()),
    api_error_status: z.nullish(z.number()),
  });
  const UserLine = z.looseObject({
    type: z.literal('user'),
    message: z.looseObject({ content: z.union([z.string(), z.array(Block)]) }),
  });
  const ResultLine = z.looseObject({
    type: z.literal('result'),
    subtype: z.nullish(z.string()),
    is_error: z.nullish(z.boolean()),
    result: z.nullish(z.string()),
    usage: z.nullish(Loose),
    total_cost_usd: z.nullish(z.number()),
    num_turns: z.nullish(z.number()),
    terminal_reason: z.nullish(z.string()),
    api_error_status: z.nullish(z.number()),
    session_id: z.nullish(z.string()),
  });
  return { Loose, SystemLine, SystemInit, ApiRetry, PermissionDenied, Block, TextBlock, ThinkingBlock, ToolUseBlock, ToolResultBlock, AssistantLine, UserLine, ResultLine };
});

const unknown = (reason: string, line: string): WorkerEvent => ({ type: 'unknown', reason, line: clip(line, 200) });

/** The text blocks of a content array, joined by newlines. */
const blockTexts = (blocks: readonly unknown[]): string[] =>
  blocks.flatMap((block) => {
    const parsed = schemas().TextBlock.safeParse(block);
    return parsed.success && getKey(block as Json, 'type') === 'text' ? [parsed.data.text] : [];
  });

const toolResultContent = (content: string | readonly unknown[] | null | undefined): string =>
  typeof content === 'string' ? content : content ? blockTexts(content).join('\n') : '';

const systemEvents = (value: Json, text: string): WorkerEvent[] => {
  const line = schemas().SystemLine.safeParse(value);
  if (!line.success) return [unknown('system line without a subtype', text)];
  switch (line.data.subtype) {
    case 'init': {
      const init = schemas().SystemInit.safeParse(value);
      if (!init.success) return [unknown('system/init without session_id', text)];
      return [{ type: 'session_started', sessionId: init.data.session_id, model: init.data.model ?? null, cwd: init.data.cwd ?? null }];
    }
    case 'api_retry': {
      const retry = schemas().ApiRetry.safeParse(value);
      if (!retry.success) return [unknown('system/api_retry with malformed fields', text)];
      const { attempt, max_retries, retry_delay_ms, error, error_status } = retry.data;
      const reason = [error_status ?? null, error ?? null].filter((part) => part !== null).join(' ');
      return [{ type: 'retry', attempt: attempt ?? null, maxRetries: max_retries ?? null, delayMs: retry_delay_ms ?? null, error: reason === '' ? null : reason }];
    }
    case 'permission_denied': {
      const denied = schemas().PermissionDenied.safeParse(value);
      if (!denied.success) return [unknown('system/permission_denied with malformed fields', text)];
      return [{ type: 'permission_denied', toolName: denied.data.tool_name ?? null, message: denied.data.message ?? '' }];
    }
    default:
      return [{ type: 'progress', eventType: `system:${line.data.subtype}` }];
  }
};

const assistantEvents = (value: Json, text: string): WorkerEvent[] => {
  const parsed = schemas().AssistantLine.safeParse(value);
  if (!parsed.success) return [unknown('assistant line without message.content[]', text)];
  const { message, is_api_error_message: apiError, api_error_status: status } = parsed.data;
  const texts = blockTexts(message.content);
  if (apiError === true) {
    return [{ type: 'error', message: texts.join('\n') || 'API error', status: status ?? null }];
  }
  const events: WorkerEvent[] = [];
  if (texts.length > 0) events.push({ type: 'agent_message', text: texts.join('\n') });
  for (const block of message.content) {
    if (block.type === 'thinking') {
      const thinking = schemas().ThinkingBlock.safeParse(block);
      events.push(thinking.success ? { type: 'reasoning', text: thinking.data.thinking } : unknown('thinking block without text', text));
    } else if (block.type === 'tool_use') {
      const tool = schemas().ToolUseBlock.safeParse(block);
      events.push(
        tool.success
          ? { type: 'tool_use', id: tool.data.id ?? null, name: tool.data.name, input: (tool.data.input ?? null) as Json }
          : unknown('tool_use block without a name', text),
      );
    } else if (block.type !== 'text') {
      events.push({ type: 'progress', eventType: `assistant:${block.type}` });
    }
  }
  return events.length > 0 ? events : [{ type: 'progress', eventType: 'assistant' }];
};

const userEvents = (value: Json, text: string): WorkerEvent[] => {
  const parsed = schemas().UserLine.safeParse(value);
  if (!parsed.success) return [unknown('user line without message.content', text)];
  const { content } = parsed.data.message;
  if (typeof content === 'string') return [{ type: 'user_message', text: content }];
  const events: WorkerEvent[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') {
      const result = schemas().ToolResultBlock.safeParse(block);
      events.push(
        result.success
          ? {
              type: 'tool_result',
              toolUseId: result.data.tool_use_id ?? null,
              isError: result.data.is_error === true,
              content: toolResultContent(result.data.content),
            }
          : unknown('tool_result block with malformed content', text),
      );
    } else if (block.type === 'text') {
      const texts = blockTexts([block]);
      if (texts.length > 0) events.push({ type: 'user_message', text: texts.join('\n') });
    } else {
      events.push({ type: 'progress', eventType: `user:${block.type}` });
    }
  }
  return events.length > 0 ? events : [{ type: 'progress', eventType: 'user' }];
};

const resultEvents = (value: Json, text: string): WorkerEvent[] => {
  const parsed = schemas().ResultLine.safeParse(value);
  if (!parsed.success) return [unknown('result line with malformed fields', text)];
  const data = parsed.data;
  return [
    {
      type: 'result',
      // `subtype` stays "success" even for errors; a result without is_error is read as an error unless it says success.
      isError: data.is_error ?? data.subtype !== 'success',
      text: data.result ?? null,
      usage: (data.usage as JsonObject | null | undefined) ?? null,
      costUsd: data.total_cost_usd ?? null,
      numTurns: data.num_turns ?? null,
      terminalReason: data.terminal_reason ?? null,
      apiErrorStatus: data.api_error_status ?? null,
      sessionId: data.session_id ?? null,
    },
  ];
};

/**
 * The typed events of one parsed Claude Code line: non-JSON lines are `output`, malformed JSON events
 * `unknown`, unrecognised types `progress`. Never throws.
 */
export const claudeEvents = ({ text, value }: ParsedLine): WorkerEvent[] => {
  if (value === undefined) return text.trim() === '' ? [] : [{ type: 'output', text }];
  const type = asString(getKey(value, 'type'));
  if (type === undefined) return [unknown('JSON line without a string type', text)];
  switch (type) {
    case 'system':
      return systemEvents(value, text);
    case 'assistant':
      return assistantEvents(value, text);
    case 'user':
      return userEvents(value, text);
    case 'result':
      return resultEvents(value, text);
    default:
      return [{ type: 'progress', eventType: type }];
  }
};

type ResultEvent = Extract<WorkerEvent, { type: 'result' }>;

const malformedResult = (sessionId: string | null): ResultEvent => ({
  type: 'result',
  isError: true,
  text: 'result line with malformed fields',
  usage: null,
  costUsd: null,
  numTurns: null,
  terminalReason: null,
  apiErrorStatus: null,
  sessionId,
});

/** What one pass over a Claude Code stream found (last value wins). */
export interface ClaudeScan {
  sessionId: string | null;
  model: string | null;
  /** The last non-synthetic assistant text, trimmed. */
  lastMessage: string | null;
  /** The last `result` event and its raw line. */
  result: ResultEvent | null;
  terminal: TerminalEvent | null;
  /** The last API error (synthetic assistant message) Claude Code reported. */
  lastApiError: string | null;
  retries: number;
  permissionDenials: number;
}

/** Accumulates a `ClaudeScan` from parsed lines (events are derived per line). */
export const createClaudeScanner = (): { add(line: ParsedLine, events?: WorkerEvent[]): void; scan(): ClaudeScan } => {
  const scan: ClaudeScan = {
    sessionId: null,
    model: null,
    lastMessage: null,
    result: null,
    terminal: null,
    lastApiError: null,
    retries: 0,
    permissionDenials: 0,
  };
  return {
    add(line, events = claudeEvents(line)) {
      if (line.value === undefined) return;
      const sessionId = asString(getKey(line.value, 'session_id'))?.trim();
      if (sessionId) scan.sessionId = sessionId;
      if (asString(getKey(line.value, 'type')) === 'result' && !events.some((event) => event.type === 'result')) {
        // A result line whose fields have the wrong types still ends the run: read it as an error result.
        events = [...events, malformedResult(sessionId ?? null)];
      }
      for (const event of events) {
        switch (event.type) {
          case 'session_started':
            scan.sessionId = event.sessionId;
            scan.model = event.model;
            break;
          case 'agent_message': {
            const trimmed = event.text.trim();
            if (trimmed !== '') scan.lastMessage = trimmed;
            break;
          }
          case 'error':
            scan.lastApiError = event.message;
            break;
          case 'retry':
            scan.retries += 1;
            break;
          case 'permission_denied':
            scan.permissionDenials += 1;
            break;
          case 'result':
            scan.result = event;
            if (isJsonObject(line.value)) scan.terminal = { type: 'result', line: line.value };
            break;
          default:
            break;
        }
      }
    },
    scan: () => ({ ...scan }),
  };
};

const quoted = (text: string, maxChars: number): string => `"${summarizeForVisibility(text, maxChars).replace(/"/g, "'")}"`;

/**
 * The Claude Code verdict: completed only with a `result` line that is not an error (and, when the
 * exit is known, a clean exit). No `result` line is `no_terminal_event`, whatever the exit code;
 * a signal is `killed_by_signal`.
 */
export const claudeVerdict = (scan: ClaudeScan, exit: ExitInfo | null): KindVerdict => {
  const result = scan.result;
  const resultText = result?.text?.trim() || null;
  const finalMessage = result && !result.isError && resultText !== null ? resultText : scan.lastMessage;
  const extra: JsonObject = {
    num_turns: result?.numTurns ?? null,
    terminal_reason: result?.terminalReason ?? null,
    api_error_status: result?.apiErrorStatus ?? null,
    model: scan.model,
    api_retries: scan.retries,
    permission_denials: scan.permissionDenials,
  };
  const errorText = result?.isError ? (resultText ?? scan.lastApiError) : null;
  const base = {
    threadId: null,
    sessionId: scan.sessionId ?? result?.sessionId ?? null,
    lastMessage: finalMessage,
    usage: result?.usage ?? null,
    costUsd: result?.costUsd ?? null,
    terminal: scan.terminal,
    extra,
    error: errorText,
  };
  const failed = (reason: FailureReason, headline: string, details: string[] = []): KindVerdict => ({
    ...base,
    status: 'failed',
    reason,
    headline,
    details: [...(scan.terminal ? ['terminal_event=result'] : []), ...details],
  });

  if (exit?.signal) return failed('killed_by_signal', signalHeadline(exit.signal));
  if (result === null) {
    const lastError = scan.lastApiError !== null ? [`last_error=${quoted(scan.lastApiError, 300)}`] : [];
    return failed('no_terminal_event', 'Claude Code exited without a result event.', lastError);
  }
  if (result.isError) {
    const headline = errorText !== null ? `Claude Code reported an error: ${summarizeForVisibility(errorText, 300)}` : 'Claude Code reported an error.';
    const details = [
      ...(result.terminalReason !== null ? [`terminal_reason=${result.terminalReason}`] : []),
      ...(result.apiErrorStatus !== null ? [`api_error_status=${result.apiErrorStatus}`] : []),
    ];
    return failed('execution_failed', headline, details);
  }
  if (exit !== null && exit.code !== null && exit.code !== 0) {
    return failed('execution_failed', `Worker exited with code ${String(exit.code)} after its result event.`);
  }
  return {
    ...base,
    status: 'completed',
    reason: null,
    headline: finalMessage !== null ? COMPLETED_WITH_MESSAGE : COMPLETED_WITHOUT_MESSAGE,
    details: [],
  };
};
