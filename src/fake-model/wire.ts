/**
 * The part of an answer that depends on the wire format. The server runs a plan (timings, hangs,
 * drops) and asks a per-request encoder for the bytes: SSE events when the worker streams, one JSON
 * body when it does not, and the API's error body for HTTP errors.
 */
import type { JsonObject } from '../util/json.js';
import type { FakeReply } from './plan.js';

/** One server-sent event: `event: NAME` + `data: JSON` (just the `data:` line when `event` is ''). */
export interface SseEvent {
  event: string;
  data: JsonObject;
}

export interface WireEncoder {
  /** Extra response headers (request ids). */
  headers(): Record<string, string>;
  /** The tool call that runs a shell command in this worker (Codex `exec_command`, Claude `Bash`, Gemini `run_shell_command`). */
  shellCall(command: string): Extract<FakeReply, { kind: 'tool' }>;
  /** The JSON body of an HTTP error answer. */
  errorBody(status: number, message: string): JsonObject;
  /** Events that open a stream (sent with the headers). */
  open(): SseEvent[];
  /** One reasoning block, `index` of `total` (1-based). */
  thought(index: number, total: number): SseEvent[];
  /** Opens the final text. */
  textStart(): SseEvent[];
  /** One piece of the final text. */
  textDelta(delta: string): SseEvent[];
  /** Closes the final text (its whole value). */
  textEnd(text: string): SseEvent[];
  /** A complete tool call. */
  toolCall(reply: Extract<FakeReply, { kind: 'tool' }>): SseEvent[];
  /** Events that end a successful stream. */
  finish(reply: FakeReply): SseEvent[];
  /** Events that end a stream with a failure (HTTP status already 200). */
  fail(message: string): SseEvent[];
  /** The whole answer as one JSON body (non-streaming requests). */
  body(thoughts: number, reply: FakeReply): JsonObject;
}

/** A rough token count for usage fields: 4 characters per token, at least 1. */
export const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4));

/** Text of one fake reasoning block. */
export const thoughtText = (index: number, total: number): string => `Fake thought ${index}/${total}: still working on it.`;

/** Splits `text` into `parts` pieces of near-equal length (fewer when the text is shorter). */
export const splitText = (text: string, parts: number): string[] => {
  if (parts <= 1 || text.length <= 1) return [text];
  const size = Math.ceil(text.length / Math.min(parts, text.length));
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces;
};
