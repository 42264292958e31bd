/** One-line, human-readable renderings of worker events for `captain logs`. */
import { formatUsd } from '../kinds/prices.js';
import { isJsonObject, type Json, type JsonObject } from '../util/json.js';
import { summarizeForVisibility } from './text.js';
import type { WorkerEvent, WorkerKind } from './types.js';
import { LOG_LINE_TEXT_CHARS } from '../config/defaults.js';

/** The longest text a rendered line quotes, in characters. */

const one = (text: string, maxChars = LOG_LINE_TEXT_CHARS): string => summarizeForVisibility(text, maxChars);

const numberAt = (usage: JsonObject, key: string): number | undefined => {
  const value = usage[key];
  return typeof value === 'number' ? value : undefined;
};

/** `in 7154 (cached 0) out 7 (reasoning 0)` for codex usage, `in 4583 out 7` for claude usage. */
export const renderUsage = (usage: JsonObject): string => {
  const input = numberAt(usage, 'input_tokens');
  const cached = numberAt(usage, 'cached_input_tokens') ?? numberAt(usage, 'cache_read_input_tokens');
  const output = numberAt(usage, 'output_tokens');
  const reasoning = numberAt(usage, 'reasoning_output_tokens');
  const parts: string[] = [];
  if (input !== undefined) parts.push(`in ${input}${cached ? ` (cached ${cached})` : ''}`);
  if (output !== undefined) parts.push(`out ${output}${reasoning ? ` (reasoning ${reasoning})` : ''}`);
  return parts.length > 0 ? parts.join(' ') : 'usage reported';
};

/** A tool call's input as one short string: the `command` of a shell call, else compact JSON. */
const renderToolInput = (input: Json): string => {
  if (isJsonObject(input) && typeof input.command === 'string') return input.command;
  if (input === null) return '';
  return JSON.stringify(input);
};

/**
 * One human-readable line for `event`, or null for events not worth a log line (turn starts,
 * uninterpreted progress). `kind` names the worker in lines whose meaning depends on it.
 */
export const renderEventLine = (kind: WorkerKind, event: WorkerEvent): string | null => {
  switch (event.type) {
    case 'thread_started':
      return `thread ${event.threadId} started`;
    case 'session_started':
      return `session ${event.sessionId} started${event.model ? ` (model ${event.model})` : ''}`;
    case 'turn_started':
      return null;
    case 'agent_message':
      return `message: ${one(event.text)}`;
    case 'reasoning':
      return `thinking: ${one(event.text, 120)}`;
    case 'user_message':
      return `user: ${one(event.text)}`;
    case 'command_started':
      return `$ ${one(event.command, 160)}`;
    case 'command_completed': {
      const exit = event.exitCode === null ? (event.status ?? 'done') : `exit ${event.exitCode}`;
      return `$ ${one(event.command, 160)} -> ${exit}`;
    }
    case 'tool_use':
      return `tool ${event.name}: ${one(renderToolInput(event.input), 160)}`;
    case 'tool_result':
      return `tool result${event.isError ? ' (error)' : ''}: ${one(event.content, 160)}`;
    case 'error':
      return `error${event.status !== null ? ` ${event.status}` : ''}: ${one(event.message)}`;
    case 'retry': {
      const of = event.maxRetries !== null ? `/${event.maxRetries}` : '';
      const delay = event.delayMs !== null ? ` in ${event.delayMs} ms` : '';
      return `retry ${event.attempt ?? '?'}${of}${delay}${event.error !== null ? ` (${event.error})` : ''}`;
    }
    case 'permission_denied':
      return `permission denied${event.toolName !== null ? ` for ${event.toolName}` : ''}: ${one(event.message, 160)}`;
    case 'turn_completed':
      return `turn completed${event.usage !== null ? ` (${renderUsage(event.usage)})` : ''}`;
    case 'turn_failed':
      return `turn failed${event.message !== null ? `: ${one(event.message)}` : ''}`;
    case 'result': {
      const facts = [
        event.usage !== null ? renderUsage(event.usage) : null,
        event.costUsd !== null ? formatUsd(event.costUsd) : null,
        event.numTurns !== null ? `${event.numTurns} turn${event.numTurns === 1 ? '' : 's'}` : null,
        event.isError && event.terminalReason !== null ? event.terminalReason : null,
      ].filter((fact): fact is string => fact !== null);
      const head = event.isError ? 'result error' : 'result';
      return `${head}${event.text !== null ? `: ${one(event.text)}` : ''}${facts.length > 0 ? ` [${facts.join(', ')}]` : ''}`;
    }
    case 'progress':
      return null;
    case 'output':
      // A command's output is the log itself; text inside a JSON stream is stray (usually stderr).
      return kind === 'command' ? event.text : `| ${event.text}`;
    case 'unknown':
      return `? ${event.reason}`;
  }
};
