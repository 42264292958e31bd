/**
 * OpenAI Responses API encoder (what Codex speaks with `wire_api = "responses"`): `response.created`,
 * `response.output_item.added` / `.done` around `message`, `reasoning` and `function_call` items,
 * `response.output_text.delta`, then `response.completed` (with usage) or `response.failed`.
 */
import type { JsonObject } from '../util/json.js';
import type { Conversation } from './conversation.js';
import type { FakeReply } from './plan.js';
import { estimateTokens, type SseEvent, type WireEncoder } from './wire.js';

export interface ResponsesEncoderOptions {
  conversation: Conversation;
  /** Size of the raw request body, for `usage.input_tokens`. */
  bodyChars: number;
  /** A fresh id with the given prefix (unique per server). */
  nextId: (prefix: string) => string;
  /** Let Codex run shell commands as login shells (`bash -lc`). */
  loginShell: boolean;
}

const errorType = (status: number): string => (status >= 500 ? 'server_error' : 'invalid_request_error');

/** Creates the encoder for one `/v1/responses` request. */
export const createResponsesEncoder = (options: ResponsesEncoderOptions): WireEncoder => {
  const { nextId } = options;
  const responseId = nextId('resp_fake');
  const requestId = nextId('req_fake');
  const model = options.conversation.model || 'gpt-5.5';
  let outputIndex = 0;
  let outputChars = 0;
  let messageId = '';
  const output: JsonObject[] = [];

  const event = (type: string, data: JsonObject): SseEvent => ({ event: type, data: { type, ...data } });
  const response = (status: string, extra: JsonObject = {}): JsonObject => ({
    id: responseId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model,
    output,
    ...extra,
  });
  const usage = (): JsonObject => {
    const input = estimateTokens(options.bodyChars);
    const out = estimateTokens(outputChars);
    return {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: out,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + out,
    };
  };
  const reasoningItem = (index: number, total: number): JsonObject => ({
    type: 'reasoning',
    id: nextId('rs_fake'),
    summary: [{ type: 'summary_text', text: `**Fake thought ${index}/${total}**\n\nStill working on it.` }],
  });
  const messageItem = (text: string, status: string): JsonObject => ({
    type: 'message',
    id: messageId,
    role: 'assistant',
    status,
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
  });
  const functionCallItem = (reply: Extract<FakeReply, { kind: 'tool' }>, status: string): JsonObject => ({
    type: 'function_call',
    id: nextId('fc_fake'),
    call_id: nextId('call_fake'),
    name: reply.name,
    ...(reply.namespace === undefined ? {} : { namespace: reply.namespace }),
    arguments: status === 'completed' ? JSON.stringify(reply.arguments) : '',
    status,
  });
  const itemEvents = (item: JsonObject, added: JsonObject = item): SseEvent[] => {
    const index = outputIndex++;
    output.push(item);
    return [
      event('response.output_item.added', { output_index: index, item: added }),
      event('response.output_item.done', { output_index: index, item }),
    ];
  };

  return {
    headers: () => ({ 'x-request-id': requestId }),
    shellCall: (command) => ({ kind: 'tool', name: 'exec_command', arguments: { cmd: command, login: options.loginShell } }),
    errorBody: (status, message) => ({ error: { message, type: errorType(status), code: errorType(status), param: null } }),
    open: () => [
      event('response.created', { response: response('in_progress') }),
      event('response.in_progress', { response: response('in_progress') }),
    ],
    thought: (index, total) => {
      const item = reasoningItem(index, total);
      return itemEvents(item, { ...item, summary: [] });
    },
    textStart: () => {
      messageId = nextId('msg_fake');
      return [event('response.output_item.added', { output_index: outputIndex, item: messageItem('', 'in_progress') })];
    },
    textDelta: (delta) => {
      outputChars += delta.length;
      return [
        event('response.output_text.delta', { item_id: messageId, output_index: outputIndex, content_index: 0, delta }),
      ];
    },
    textEnd: (text) => {
      const index = outputIndex++;
      const item = messageItem(text, 'completed');
      output.push(item);
      return [
        event('response.output_text.done', { item_id: messageId, output_index: index, content_index: 0, text }),
        event('response.output_item.done', { output_index: index, item }),
      ];
    },
    toolCall: (reply) => {
      const item = functionCallItem(reply, 'completed');
      outputChars += String(item.arguments).length;
      return itemEvents(item, { ...item, arguments: '', status: 'in_progress' });
    },
    finish: () => [event('response.completed', { response: response('completed', { usage: usage() }) })],
    fail: (message) => [
      event('response.failed', {
        response: response('failed', { error: { code: 'server_error', message }, usage: usage() }),
      }),
    ],
    body: (thoughts, reply) => {
      for (let i = 1; i <= thoughts; i++) output.push(reasoningItem(i, thoughts));
      if (reply.kind === 'text') {
        messageId = nextId('msg_fake');
        outputChars += reply.text.length;
        output.push(messageItem(reply.text, 'completed'));
      } else {
        output.push(functionCallItem(reply, 'completed'));
      }
      return response('completed', { usage: usage() });
    },
  };
};
