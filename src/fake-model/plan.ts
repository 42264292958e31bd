/**
 * From a scenario and a request to a plan: what the fake server does with this one request, in
 * terms that do not depend on the wire format (timings, thoughts, the final text or tool call).
 * Multi-request scenarios read the conversation (tool results since the user's last turn) instead
 * of keeping state, so one server serves many workers at once. Only `flaky` counts requests.
 */
import type { JsonObject } from '../util/json.js';
import { FAKE_MODEL_DEFAULT_TEXT, FAKE_MODEL_TICK_MS } from '../config/defaults.js';
import type { Conversation } from './conversation.js';
import type { Scenario } from './scenario.js';

/** What a script (or a plan) answers: text, or one call of a tool the worker offers. */
export type FakeReply =
  | { kind: 'text'; text: string }
  | {
      kind: 'tool';
      name: string;
      arguments: JsonObject;
      /** Responses API only: the `namespace` field of the `function_call` item (Codex's deferred MCP tools). */
      namespace?: string;
    };

/**
 * A call of tool `tool` of MCP server `server`, named the way each worker exposes MCP tools:
 * Codex 0.169 defers MCP tools behind `tool_search` and routes a `function_call` whose `namespace` is
 * `mcp__SERVER` and whose `name` is the tool (a flat `mcp__SERVER__TOOL` name is "unsupported call");
 * Claude Code takes the flat name `mcp__SERVER__TOOL` as a `tool_use` block.
 */
export const mcpToolCall = (api: Conversation['api'], server: string, tool: string, args: JsonObject): FakeReply =>
  api === 'openai.responses'
    ? { kind: 'tool', name: tool, namespace: `mcp__${server}`, arguments: args }
    : api === 'gemini.generate'
      ? // Gemini CLI declares an MCP tool as `mcp_SERVER_TOOL` (not exercised by the tests).
        { kind: 'tool', name: `mcp_${server}_${tool}`, arguments: args }
      : { kind: 'tool', name: `mcp__${server}__${tool}`, arguments: args };

/** A scripted model: sees the request, returns the next reply. A plain string is a text reply. */
export type FakeScript = (conversation: Conversation, args: string[]) => FakeReply | string | Promise<FakeReply | string>;

/** A reply where `shell` is left to the wire format (Codex's `exec_command`, Claude's `Bash`). */
export type PlannedReply = FakeReply | { kind: 'shell'; command: string };

export type Plan =
  | {
      kind: 'answer';
      /** Silence before the response headers. */
      waitMs: number;
      /** Reasoning blocks sent one tick apart after the headers. */
      thoughts: number;
      /** The final text goes out in this many deltas, one tick apart (text replies only). */
      chunks: number;
      tickMs: number;
      reply: PlannedReply;
    }
  | { kind: 'http-error'; status: number; message: string }
  | { kind: 'stream-fail'; message: string }
  | { kind: 'hang' }
  | { kind: 'hang-stream' }
  | { kind: 'drop' };

/** State the planner may touch: `flaky` counters keyed by worker session. */
export interface PlanContext {
  scripts: Readonly<Record<string, FakeScript>>;
  flakyCounts: Map<string, number>;
  /** Identifies the worker session (a session header, else the first user text). */
  sessionKey: string;
  tickMs?: number;
}

const answer = (reply: PlannedReply, extra: Partial<Extract<Plan, { kind: 'answer' }>> = {}): Plan => ({
  kind: 'answer',
  waitMs: 0,
  thoughts: 0,
  chunks: 1,
  tickMs: FAKE_MODEL_TICK_MS,
  reply,
  ...extra,
});

const text = (value: string): PlannedReply => ({ kind: 'text', text: value });

/**
 * The command's own output inside a tool result. Codex's `exec_command` result is a report
 * (`Chunk ID: ...`, `Wall time: ...`, `Process exited with code 0`, ..., `Output:` then the output);
 * Claude's `Bash` result is the output itself.
 */
export const commandOutput = (toolOutput: string): string => {
  const match = /(?:^|\n)Output:\n([\s\S]*)$/.exec(toolOutput);
  return (match?.[1] ?? toolOutput).trim();
};

/**
 * What `recall:PREFIX` answers: how many user turns of the request carry a `[[fake:...]]` marker (the
 * prompts a test wrote, not the CLI's own context messages) and every word starting with PREFIX in the
 * user turns, oldest first: a resumed conversation shows the earlier prompt's words.
 */
export const recallText = (conversation: Conversation, prefix: string): string => {
  const prompts = conversation.userTexts.filter((text) => text.includes('[[fake:')).length;
  const words = conversation.userTexts.flatMap((text) => [...text.replace(/\[\[fake:[^\]]*\]\]/g, ' ').matchAll(new RegExp(`(?<![A-Za-z0-9_-])${prefix}[A-Za-z0-9_-]+`, 'g'))].map((m) => m[0]));
  return `FAKE_RECALL prompts=${prompts} words=${words.join(',')}`;
};

/** Decides what to do with one request. */
export const planRequest = async (scenario: Scenario, conversation: Conversation, context: PlanContext): Promise<Plan> => {
  const tickMs = context.tickMs ?? FAKE_MODEL_TICK_MS;
  const rounds = conversation.toolResults.length;
  const respond = (reply: PlannedReply, extra: Partial<Extract<Plan, { kind: 'answer' }>> = {}): Plan =>
    answer(reply, { tickMs, ...extra });
  switch (scenario.kind) {
    case 'ok':
      return respond(text(scenario.text));
    case 'delay':
      return respond(text(scenario.text), { waitMs: scenario.seconds * 1000 });
    case 'stream':
      return respond(text(scenario.text), { chunks: scenario.chunks });
    case 'think':
      return respond(text(scenario.text), { thoughts: scenario.thoughts });
    case 'steps': {
      const waitMs = scenario.delaySeconds * 1000;
      const reply: PlannedReply =
        rounds < scenario.steps
          ? { kind: 'shell', command: `echo step ${rounds + 1} of ${scenario.steps}` }
          : text(`${FAKE_MODEL_DEFAULT_TEXT} finished ${scenario.steps} steps`);
      return respond(reply, { waitMs });
    }
    case 'shell': {
      if (rounds === 0) return respond({ kind: 'shell', command: scenario.command });
      const output = commandOutput(conversation.toolResults[rounds - 1]?.output ?? '');
      return respond(text(`${FAKE_MODEL_DEFAULT_TEXT} ran \`${scenario.command}\`; output: ${output}`));
    }
    case 'error':
      return { kind: 'http-error', status: scenario.status, message: scenario.message };
    case 'fail':
      return { kind: 'stream-fail', message: scenario.message };
    case 'flaky': {
      const key = `${context.sessionKey}\u0000${scenario.failures}:${scenario.status}`;
      const seen = context.flakyCounts.get(key) ?? 0;
      context.flakyCounts.set(key, seen + 1);
      return seen < scenario.failures
        ? { kind: 'http-error', status: scenario.status, message: `fake flaky failure ${seen + 1} of ${scenario.failures}` }
        : respond(text(`${FAKE_MODEL_DEFAULT_TEXT} after ${scenario.failures} failures`));
    }
    case 'hang':
    case 'hang-stream':
    case 'drop':
      return { kind: scenario.kind };
    case 'recall':
      return respond(text(recallText(conversation, scenario.prefix)));
    case 'script': {
      const script = context.scripts[scenario.name];
      if (script === undefined) {
        const known = Object.keys(context.scripts).join(', ') || 'none';
        return { kind: 'http-error', status: 400, message: `fake model: unknown script "${scenario.name}" (known: ${known})` };
      }
      const reply = await script(conversation, scenario.args);
      return respond(typeof reply === 'string' ? text(reply) : reply);
    }
  }
};
