/** Shared types of the worker event-stream parsers. */
import type { Json, JsonObject } from '../util/json.js';

/** The worker flavours (declared once, in the lifecycle vocabulary). */
export { WORKER_KINDS, type WorkerKind } from '../lifecycle/kinds.js';

/** How a worker process ended: an exit code, or the signal that killed it (one of them is null). */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** One raw events line and its JSON value (`undefined` when the line is not JSON). */
export interface ParsedLine {
  text: string;
  value: Json | undefined;
}

/**
 * Why a delegation failed. The first three are upstream's `latest_failure.reason` values; the last two
 * are captain's stricter verdicts for workers it launched and watched exit.
 */
export type FailureReason =
  | 'execution_failed'
  | 'invalid_output'
  | 'unknown'
  | 'no_terminal_event'
  | 'killed_by_signal'
  /** The worker ended while nobody watched (its monitor died): whether it succeeded is not known. Never retried blindly. */
  | 'exit_status_unknown'
  /** The worker could not be started (the binary or the cwd missing, not executable, …). */
  | 'spawn_failed';

/** An exit with neither code nor signal: the process ended, but how is not known (its monitor died). */
export const isExitUnknown = (exit: ExitInfo | null): boolean => exit !== null && exit.code === null && exit.signal === null;

/** The event that ends a worker's run: codex `turn.completed`/`turn.failed`, claude `result`. */
export interface TerminalEvent {
  type: string;
  line: JsonObject;
}

/**
 * One event of a worker stream, normalized across kinds. A raw line can yield several events
 * (a Claude assistant message with text and a tool call).
 */
export type WorkerEvent =
  | { type: 'thread_started'; threadId: string }
  | { type: 'session_started'; sessionId: string; model: string | null; cwd: string | null }
  | { type: 'turn_started' }
  | { type: 'agent_message'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'user_message'; text: string }
  | { type: 'command_started'; command: string }
  | { type: 'command_completed'; command: string; exitCode: number | null; status: string | null; output: string }
  | { type: 'tool_use'; id: string | null; name: string; input: Json }
  | { type: 'tool_result'; toolUseId: string | null; isError: boolean; content: string }
  | { type: 'error'; message: string; status: number | null }
  | { type: 'retry'; attempt: number | null; maxRetries: number | null; delayMs: number | null; error: string | null }
  | { type: 'permission_denied'; toolName: string | null; message: string }
  | { type: 'turn_completed'; usage: JsonObject | null }
  | { type: 'turn_failed'; message: string | null }
  | {
      type: 'result';
      isError: boolean;
      text: string | null;
      usage: JsonObject | null;
      costUsd: number | null;
      numTurns: number | null;
      terminalReason: string | null;
      apiErrorStatus: number | null;
      sessionId: string | null;
    }
  /** A well-formed event of a type captain does not interpret (still progress). */
  | { type: 'progress'; eventType: string }
  /** A non-JSON line: a command's output, or stray text (stderr) in a JSON stream. */
  | { type: 'output'; text: string }
  /** A JSON line that does not have the shape its type promises, or has no type. Never thrown. */
  | { type: 'unknown'; reason: string; line: string };

export type WorkerEventType = WorkerEvent['type'];
