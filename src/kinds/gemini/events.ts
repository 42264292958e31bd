/**
 * Gemini CLI `-p PROMPT --output-format stream-json` streams: typed events (zod, lenient) and the
 * verdict. Lines: `init` (session_id, model), `message` (role user / assistant; assistant text comes
 * as `delta: true` pieces), `tool_use` (tool_name, tool_id, parameters), `tool_result` (tool_id,
 * status, output, error), `error` (severity warning / error, message) and one closing `result`
 * (status success / error, error {type, message}, stats with token counts per model). A run without
 * the `result` line was interrupted.
 */
import * as z from 'zod/mini';
import { COMPLETED_WITHOUT_MESSAGE, COMPLETED_WITH_MESSAGE, signalHeadline, type KindVerdict } from '../../events/outcome.js';
import { clip, summarizeForVisibility } from '../../events/text.js';
import type { ExitInfo, FailureReason, ParsedLine, TerminalEvent, WorkerEvent } from '../../events/types.js';
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../../util/json.js';
import { lazy } from '../../util/lazy.js';

/** The schemas, built on first use (see util/lazy.ts). */
const schemas = lazy(() => {
  const Init = z.looseObject({ session_id: z.string(), model: z.nullish(z.string()) });
  const Message = z.looseObject({ role: z.string(), content: z.string(), delta: z.nullish(z.boolean()) });
  const ToolUse = z.looseObject({ tool_name: z.string(), tool_id: z.nullish(z.string()), parameters: z.unknown() });
  const ErrorInfo = z.looseObject({ type: z.nullish(z.string()), message: z.nullish(z.string()) });
  const ToolResult = z.looseObject({
    tool_id: z.nullish(z.string()),
    status: z.nullish(z.string()),
    output: z.nullish(z.string()),
    error: z.nullish(ErrorInfo),
  });
  const ErrorLine = z.looseObject({ severity: z.nullish(z.string()), message: z.string() });
  const TokenCounts = z.looseObject({
    total_tokens: z.nullish(z.number()),
    input_tokens: z.nullish(z.number()),
    output_tokens: z.nullish(z.number()),
    cached: z.nullish(z.number()),
    input: z.nullish(z.number()),
  });
  const Stats = z.extend(TokenCounts, {
    duration_ms: z.nullish(z.number()),
    tool_calls: z.nullish(z.number()),
    models: z.nullish(z.record(z.string(), TokenCounts)),
  });
  const Result = z.looseObject({ status: z.string(), error: z.nullish(ErrorInfo), stats: z.nullish(Stats) });
  return { Init, Message, ToolUse, ErrorInfo, ToolResult, ErrorLine, TokenCounts, Stats, Result };
});

type TokenCountsValue = z.infer<ReturnType<typeof schemas>['TokenCounts']>;

const unknown = (reason: string, line: string): WorkerEvent => ({ type: 'unknown', reason, line: clip(line, 200) });

const count = (value: number | null | undefined): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);

/**
 * Gemini's counts in the names captain sums: its `input_tokens` is the whole prompt (cached part
 * included), `input` the uncached part, `cached` the cache hits; thoughts count only in the total.
 */
const normalizeCounts = (counts: TokenCountsValue): JsonObject => {
  const cached = count(counts.cached);
  const prompt = count(counts.input_tokens);
  const input = counts.input === null || counts.input === undefined ? Math.max(prompt - cached, 0) : count(counts.input);
  const output = count(counts.output_tokens);
  const total = counts.total_tokens === null || counts.total_tokens === undefined ? input + cached + output : count(counts.total_tokens);
  return {
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: Math.max(total - input - cached - output, 0),
    total_tokens: total,
  };
};

/** The `total_token_usage` captain records for a Gemini result: the totals plus `models` (per-model counts, for pricing). */
export const geminiUsageOf = (stats: z.infer<ReturnType<typeof schemas>['Stats']>): JsonObject => {
  const models: JsonObject = {};
  for (const [model, counts] of Object.entries(stats.models ?? {})) models[model] = normalizeCounts(counts);
  return { ...normalizeCounts(stats), models };
};

/** The typed events of one Gemini CLI line: non-JSON lines are `output`, malformed events `unknown`. Never throws. */
export const geminiEvents = ({ text, value }: ParsedLine): WorkerEvent[] => {
  if (value === undefined) return text.trim() === '' ? [] : [{ type: 'output', text }];
  const type = asString(getKey(value, 'type'));
  if (type === undefined) return [unknown('JSON line without a string type', text)];
  switch (type) {
    case 'init': {
      const init = schemas().Init.safeParse(value);
      if (!init.success) return [unknown('init without session_id', text)];
      return [{ type: 'session_started', sessionId: init.data.session_id, model: init.data.model ?? null, cwd: null }];
    }
    case 'message': {
      const message = schemas().Message.safeParse(value);
      if (!message.success) return [unknown('message without role and content', text)];
      if (message.data.role === 'assistant') return [{ type: 'agent_message', text: message.data.content }];
      if (message.data.role === 'user') return [{ type: 'user_message', text: message.data.content }];
      return [{ type: 'progress', eventType: `message:${message.data.role}` }];
    }
    case 'tool_use': {
      const tool = schemas().ToolUse.safeParse(value);
      if (!tool.success) return [unknown('tool_use without tool_name', text)];
      return [{ type: 'tool_use', id: tool.data.tool_id ?? null, name: tool.data.tool_name, input: (tool.data.parameters ?? null) as Json }];
    }
    case 'tool_result': {
      const result = schemas().ToolResult.safeParse(value);
      if (!result.success) return [unknown('tool_result with malformed fields', text)];
      const isError = result.data.status === 'error';
      const content = (isError ? (result.data.error?.message ?? result.data.output) : result.data.output) ?? '';
      return [{ type: 'tool_result', toolUseId: result.data.tool_id ?? null, isError, content }];
    }
    case 'error': {
      const error = schemas().ErrorLine.safeParse(value);
      if (!error.success) return [unknown('error without a message', text)];
      return [{ type: 'error', message: error.data.message, status: null }];
    }
    case 'result': {
      const result = schemas().Result.safeParse(value);
      if (!result.success) return [unknown('result line with malformed fields', text)];
      const { status, error, stats } = result.data;
      const isError = status !== 'success';
      return [
        {
          type: 'result',
          isError,
          text: isError ? (error?.message ?? `status ${status}`) : null,
          usage: stats ? geminiUsageOf(stats) : null,
          costUsd: null,
          numTurns: null,
          terminalReason: isError ? (error?.type ?? status) : null,
          apiErrorStatus: null,
          sessionId: null,
        },
      ];
    }
    default:
      return [{ type: 'progress', eventType: type }];
  }
};

type ResultEvent = Extract<WorkerEvent, { type: 'result' }>;

/** What one pass over a Gemini stream found. */
export interface GeminiScan {
  sessionId: string | null;
  model: string | null;
  /** The last assistant turn's text (its deltas joined), trimmed. */
  lastMessage: string | null;
  result: ResultEvent | null;
  terminal: TerminalEvent | null;
  lastError: string | null;
  toolCalls: number;
  warnings: number;
}

/** Accumulates a `GeminiScan` from parsed lines. */
export const createGeminiScanner = (): { add(line: ParsedLine, events?: WorkerEvent[]): void; scan(): GeminiScan } => {
  const scan: GeminiScan = { sessionId: null, model: null, lastMessage: null, result: null, terminal: null, lastError: null, toolCalls: 0, warnings: 0 };
  let turnText: string | null = null;
  return {
    add(line, events = geminiEvents(line)) {
      if (line.value === undefined) return;
      for (const event of events) {
        if (event.type === 'agent_message') {
          turnText = (turnText ?? '') + event.text;
          const trimmed = turnText.trim();
          if (trimmed !== '') scan.lastMessage = trimmed;
          continue;
        }
        // Any other event ends the assistant's text: the next one starts a new message.
        turnText = null;
        switch (event.type) {
          case 'session_started':
            scan.sessionId = event.sessionId;
            scan.model = event.model;
            break;
          case 'tool_use':
            scan.toolCalls += 1;
            break;
          case 'error':
            scan.warnings += 1;
            scan.lastError = event.message;
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

const statsNumber = (terminal: TerminalEvent | null, key: string): number | null => {
  const value = getKey(getKey(terminal?.line, 'stats'), key);
  return typeof value === 'number' ? value : null;
};

/**
 * The Gemini verdict (Claude Code's rules): completed only with a `result` of status success and,
 * when the exit is known, a clean exit; no `result` is `no_terminal_event`; an error result is
 * `execution_failed` quoting its message (even when the exit reads as a signal, see below); any
 * other signal is `killed_by_signal`.
 */
export const geminiVerdict = (scan: GeminiScan, exit: ExitInfo | null): KindVerdict => {
  const result = scan.result;
  const extra: JsonObject = {
    model: scan.model,
    tool_calls: statsNumber(scan.terminal, 'tool_calls') ?? scan.toolCalls,
    duration_ms: statsNumber(scan.terminal, 'duration_ms'),
    error_type: result?.isError ? result.terminalReason : null,
    warnings: scan.warnings,
  };
  const errorText = result?.isError ? result.text : null;
  const base = {
    threadId: null,
    sessionId: scan.sessionId,
    lastMessage: scan.lastMessage,
    usage: result?.usage ?? null,
    costUsd: null,
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
  // The CLI exits with an API error's HTTP status as its code (400 → 144), which a shell's wait status
  // cannot tell from a signal (128 + 16): an error result it wrote itself explains the exit first.
  if (exit?.signal && !result?.isError) return failed('killed_by_signal', signalHeadline(exit.signal));
  if (result === null) {
    const last = scan.lastError !== null ? [`last_error="${summarizeForVisibility(scan.lastError, 300).replace(/"/g, "'")}"`] : [];
    return failed('no_terminal_event', 'Gemini CLI exited without a result event.', last);
  }
  if (result.isError) {
    const headline = errorText !== null ? `Gemini CLI reported an error: ${summarizeForVisibility(errorText, 300)}` : 'Gemini CLI reported an error.';
    return failed('execution_failed', headline, result.terminalReason !== null ? [`error_type=${result.terminalReason}`] : []);
  }
  if (exit !== null && exit.code !== null && exit.code !== 0) {
    return failed('execution_failed', `Worker exited with code ${String(exit.code)} after its result event.`);
  }
  return { ...base, status: 'completed', reason: null, headline: scan.lastMessage !== null ? COMPLETED_WITH_MESSAGE : COMPLETED_WITHOUT_MESSAGE, details: [] };
};
