/**
 * One model request, read the same way for every wire format: the OpenAI Responses API body that
 * Codex sends, the Anthropic Messages body that Claude Code sends and the Gemini API
 * `generateContent` body that the Gemini CLI sends. The fake server needs only the
 * user's text (for `[[fake:...]]` markers), the tool results since the user's last turn (multi-request
 * scenarios count them instead of keeping state) and a few fields for the request log.
 */
import { asBoolean, asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';

export type FakeApi = 'openai.responses' | 'anthropic.messages' | 'gemini.generate';

/** A tool result the worker sent back: the call it answers and its output as text. */
export interface ToolResult {
  callId: string;
  output: string;
}

/** What a scenario or a script sees of one request. */
export interface Conversation {
  api: FakeApi;
  /** The model slug the worker asked for ('' when absent). */
  model: string;
  /** Whether the worker asked for an SSE stream. */
  stream: boolean;
  /** Names of the tools the worker offers (function name, or the item type for built-in tools). */
  tools: string[];
  /** The text of every user turn, oldest first (tool results excluded). */
  userTexts: string[];
  /** Tool results that arrived after the user's last turn, oldest first. */
  toolResults: ToolResult[];
  /** The raw request body. */
  body: JsonObject;
}

const arrayOf = (value: Json | undefined): Json[] => (Array.isArray(value) ? value : []);

/** Text of a content value: a string, or the `text` of every block in an array. */
const contentText = (content: Json | undefined): string => {
  if (typeof content === 'string') return content;
  return arrayOf(content)
    .map((block) => asString(getKey(block, 'text')) ?? '')
    .filter((text) => text !== '')
    .join('\n');
};

const toolNames = (body: JsonObject): string[] =>
  arrayOf(getKey(body, 'tools')).map((tool) => asString(getKey(tool, 'name')) ?? asString(getKey(tool, 'type')) ?? '?');

/** Reads a Responses API body (`input` items: messages, `*_call` and `*_call_output` items). */
export const readResponsesRequest = (body: JsonObject): Conversation => {
  const input = getKey(body, 'input');
  const items: Json[] = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : arrayOf(input);
  const userTexts: string[] = [];
  let toolResults: ToolResult[] = [];
  for (const item of items) {
    const type = asString(getKey(item, 'type')) ?? 'message';
    if (type === 'message' && getKey(item, 'role') === 'user') {
      userTexts.push(contentText(getKey(item, 'content')));
      toolResults = [];
    } else if (type.endsWith('_call_output')) {
      const output = getKey(item, 'output');
      toolResults.push({
        callId: asString(getKey(item, 'call_id')) ?? '',
        output: typeof output === 'string' ? output : contentText(output),
      });
    }
  }
  return {
    api: 'openai.responses',
    model: asString(getKey(body, 'model')) ?? '',
    stream: asBoolean(getKey(body, 'stream')) ?? false,
    tools: toolNames(body),
    userTexts,
    toolResults,
    body,
  };
};

/** Reads a Messages API body (`messages`; tool results are `tool_result` blocks in user messages). */
export const readMessagesRequest = (body: JsonObject): Conversation => {
  const userTexts: string[] = [];
  let toolResults: ToolResult[] = [];
  for (const message of arrayOf(getKey(body, 'messages'))) {
    if (getKey(message, 'role') !== 'user') continue;
    const content = getKey(message, 'content');
    const blocks = arrayOf(content);
    const results = blocks.filter((block) => getKey(block, 'type') === 'tool_result');
    if (results.length === 0) {
      userTexts.push(contentText(content));
      toolResults = [];
      continue;
    }
    for (const block of results) {
      toolResults.push({
        callId: asString(getKey(block, 'tool_use_id')) ?? '',
        output: contentText(getKey(block, 'content')),
      });
    }
  }
  return {
    api: 'anthropic.messages',
    model: asString(getKey(body, 'model')) ?? '',
    stream: asBoolean(getKey(body, 'stream')) ?? false,
    tools: toolNames(body),
    userTexts,
    toolResults,
    body,
  };
};

/**
 * The command output inside a Gemini CLI `run_shell_command` result, which reads
 * `<untrusted_context>\nOutput: TEXT\nProcess Group PGID: N\n</untrusted_context>` (other tools: the text as is).
 */
const geminiToolOutput = (output: string): string => {
  const inner = output.replace(/^\s*<untrusted_context>\n?/, '').replace(/\n?<\/untrusted_context>\s*$/, '');
  const match = /^Output: ([\s\S]*?)(?:\n(?:Error|Exit Code|Signal|Background PIDs|Process Group PGID):[\s\S]*)?$/.exec(inner);
  return match?.[1] ?? inner;
};

/**
 * Reads a Gemini API body (`contents`: user / model turns of `parts`; tool results are
 * `functionResponse` parts in user turns). The model and streaming come from the URL
 * (`/v1beta/models/MODEL:streamGenerateContent`), not the body.
 */
export const readGeminiRequest = (body: JsonObject, model: string, stream: boolean): Conversation => {
  const userTexts: string[] = [];
  let toolResults: ToolResult[] = [];
  for (const content of arrayOf(getKey(body, 'contents'))) {
    if (getKey(content, 'role') !== 'user') continue;
    const parts = arrayOf(getKey(content, 'parts'));
    const responses = parts.map((part) => getKey(part, 'functionResponse')).filter(isJsonObject);
    if (responses.length === 0) {
      userTexts.push(contentText(parts));
      toolResults = [];
      continue;
    }
    for (const response of responses) {
      const output = getKey(getKey(response, 'response'), 'output') ?? getKey(getKey(response, 'response'), 'error');
      toolResults.push({
        callId: asString(getKey(response, 'id')) ?? asString(getKey(response, 'name')) ?? '',
        output: geminiToolOutput(typeof output === 'string' ? output : JSON.stringify(output ?? null)),
      });
    }
  }
  const tools = arrayOf(getKey(body, 'tools')).flatMap((tool) =>
    arrayOf(getKey(tool, 'functionDeclarations')).map((declaration) => asString(getKey(declaration, 'name')) ?? '?'),
  );
  return { api: 'gemini.generate', model, stream, tools, userTexts, toolResults, body };
};

/** Parses a request body as a JSON object; undefined when it is not one. */
export const parseJsonBody = (raw: string): JsonObject | undefined => {
  try {
    const value: unknown = JSON.parse(raw);
    return isJsonObject(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
};
