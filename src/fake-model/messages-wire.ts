/**
 * Anthropic Messages API encoder (what Claude Code speaks): `message_start`, one
 * `content_block_start` / `_delta` / `_stop` triple per thinking, text or tool_use block,
 * `message_delta` (stop reason, usage), `message_stop`; failures are an SSE `error` event.
 */
import type { JsonObject } from '../util/json.js';
import type { Conversation } from './conversation.js';
import type { FakeReply } from './plan.js';
import { estimateTokens, thoughtText, type SseEvent, type WireEncoder } from './wire.js';

export interface MessagesEncoderOptions {
  conversation: Conversation;
  /** Size of the raw request body, for `usage.input_tokens`. */
  bodyChars: number;
  /** A fresh id with the given prefix (unique per server). */
  nextId: (prefix: string) => string;
}

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const errorType = (status: number): string => ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');

const FAKE_SIGNATURE = 'fakesig';

/** Creates the encoder for one `/v1/messages` request. */
export const createMessagesEncoder = (options: MessagesEncoderOptions): WireEncoder => {
  const { nextId } = options;
  const messageId = nextId('msg_fake');
  const requestId = nextId('req_fake');
  const model = options.conversation.model || 'claude-opus-5-5';
  const inputTokens = estimateTokens(options.bodyChars);
  let blockIndex = 0;
  let outputChars = 0;

  const event = (type: string, data: JsonObject = {}): SseEvent => ({ event: type, data: { type, ...data } });
  const usage = (outputTokens: number): JsonObject => ({
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  });
  const message = (content: JsonObject[], stopReason: string | null): JsonObject => ({
    id: messageId,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: usage(stopReason === null ? 1 : estimateTokens(outputChars)),
  });
  const block = (start: JsonObject, deltas: JsonObject[]): SseEvent[] => {
    const index = blockIndex++;
    return [
      event('content_block_start', { index, content_block: start }),
      ...deltas.map((delta) => event('content_block_delta', { index, delta })),
      event('content_block_stop', { index }),
    ];
  };
  const toolUse = (reply: Extract<FakeReply, { kind: 'tool' }>): JsonObject => ({
    type: 'tool_use',
    id: nextId('toolu_fake'),
    name: reply.name,
    input: reply.arguments,
  });

  return {
    headers: () => ({ 'request-id': requestId }),
    shellCall: (command) => ({ kind: 'tool', name: 'Bash', arguments: { command, description: `Run ${command}` } }),
    errorBody: (status, text) => ({ type: 'error', error: { type: errorType(status), message: text }, request_id: requestId }),
    open: () => [event('message_start', { message: message([], null) })],
    thought: (index, total) => {
      const thinking = thoughtText(index, total);
      outputChars += thinking.length;
      return block({ type: 'thinking', thinking: '', signature: '' }, [
        { type: 'thinking_delta', thinking },
        { type: 'signature_delta', signature: FAKE_SIGNATURE },
      ]);
    },
    textStart: () => [event('content_block_start', { index: blockIndex, content_block: { type: 'text', text: '' } })],
    textDelta: (text) => {
      outputChars += text.length;
      return [event('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text } })];
    },
    textEnd: () => [event('content_block_stop', { index: blockIndex++ })],
    toolCall: (reply) => {
      const { input, ...start } = toolUse(reply);
      const json = JSON.stringify(input);
      outputChars += json.length;
      return block({ ...start, input: {} }, [{ type: 'input_json_delta', partial_json: json }]);
    },
    finish: (reply) => [
      event('message_delta', {
        delta: { stop_reason: reply.kind === 'tool' ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: estimateTokens(outputChars) },
      }),
      event('message_stop'),
    ],
    fail: (text) => [event('error', { error: { type: 'api_error', message: text } })],
    body: (thoughts, reply) => {
      const content: JsonObject[] = [];
      for (let i = 1; i <= thoughts; i++) {
        const thinking = thoughtText(i, thoughts);
        outputChars += thinking.length;
        content.push({ type: 'thinking', thinking, signature: FAKE_SIGNATURE });
      }
      if (reply.kind === 'text') {
        outputChars += reply.text.length;
        content.push({ type: 'text', text: reply.text });
      } else {
        const use = toolUse(reply);
        outputChars += JSON.stringify(use.input).length;
        content.push(use);
      }
      return message(content, reply.kind === 'tool' ? 'tool_use' : 'end_turn');
    },
  };
};
