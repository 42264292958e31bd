/**
 * Gemini API encoder (what the Gemini CLI speaks through `@google/genai`): each SSE event is one
 * `data:` line holding a `GenerateContentResponse` chunk (`candidates[0].content.parts`: `text`,
 * `thought: true` text, `functionCall`), the last chunk carries `finishReason` and `usageMetadata`;
 * errors are `{error: {code, message, status}}`, as an HTTP body or as a chunk mid-stream.
 */
import type { JsonObject } from '../util/json.js';
import type { Conversation } from './conversation.js';
import type { FakeReply } from './plan.js';
import { estimateTokens, thoughtText, type SseEvent, type WireEncoder } from './wire.js';

export interface GeminiEncoderOptions {
  conversation: Conversation;
  /** Size of the raw request body, for `usageMetadata.promptTokenCount`. */
  bodyChars: number;
  /** A fresh id with the given prefix (unique per server). */
  nextId: (prefix: string) => string;
}

/** The model the Gemini CLI is told to use in tests (set with `--model`, so no routing request precedes the turn). */
export const FAKE_GEMINI_MODEL = 'gemini-2.5-flash';

const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const statusName = (status: number): string => STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');

/** Creates the encoder for one `models/MODEL:generateContent` or `:streamGenerateContent` request. */
export const createGeminiEncoder = (options: GeminiEncoderOptions): WireEncoder => {
  const model = options.conversation.model || FAKE_GEMINI_MODEL;
  const responseId = options.nextId('fake_gemini');
  const promptTokens = estimateTokens(options.bodyChars);
  let outputChars = 0;
  let thoughtChars = 0;

  const usage = (): JsonObject => {
    const candidates = estimateTokens(outputChars);
    const thoughts = thoughtChars > 0 ? estimateTokens(thoughtChars) : 0;
    return {
      promptTokenCount: promptTokens,
      candidatesTokenCount: candidates,
      ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: promptTokens + candidates + thoughts,
    };
  };
  const chunk = (parts: JsonObject[], extra: JsonObject = {}): SseEvent => ({
    event: '',
    data: { candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], modelVersion: model, responseId },
  });
  const functionCall = (reply: Extract<FakeReply, { kind: 'tool' }>): JsonObject => {
    outputChars += JSON.stringify(reply.arguments).length;
    return { functionCall: { id: options.nextId('call_fake'), name: reply.name, args: reply.arguments } };
  };

  return {
    headers: () => ({}),
    shellCall: (command) => ({ kind: 'tool', name: 'run_shell_command', arguments: { command, description: `Run ${command}` } }),
    errorBody: (status, message) => ({ error: { code: status, message, status: statusName(status) } }),
    open: () => [],
    thought: (index, total) => {
      const text = thoughtText(index, total);
      thoughtChars += text.length;
      return [chunk([{ text, thought: true }])];
    },
    textStart: () => [],
    textDelta: (text) => {
      outputChars += text.length;
      return [chunk([{ text }])];
    },
    textEnd: () => [],
    toolCall: (reply) => [chunk([functionCall(reply)])],
    finish: () => [{ event: '', data: { ...chunk([{ text: '' }], { finishReason: 'STOP' }).data, usageMetadata: usage() } }],
    fail: (message) => [{ event: '', data: { error: { code: 500, message, status: 'INTERNAL' } } }],
    body: (thoughts, reply) => {
      const parts: JsonObject[] = [];
      for (let i = 1; i <= thoughts; i++) {
        const text = thoughtText(i, thoughts);
        thoughtChars += text.length;
        parts.push({ text, thought: true });
      }
      if (reply.kind === 'text') {
        outputChars += reply.text.length;
        parts.push({ text: reply.text });
      } else {
        parts.push(functionCall(reply));
      }
      return { ...chunk(parts, { finishReason: 'STOP' }).data, usageMetadata: usage() };
    },
  };
};
