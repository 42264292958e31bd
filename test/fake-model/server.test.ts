/**
 * The fake model server over plain fetch: routes, scenario selection, SSE framing of both wire
 * formats, stateless multi-request scenarios, errors, hangs and close().
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFakeModelServer, mcpToolCall, type FakeModelServer } from '../../src/fake-model/server.js';
import { isCaptainError } from '../../src/errors.js';
import { getKey, type Json, type JsonObject } from '../../src/util/json.js';

interface SseMessage {
  event: string;
  data: JsonObject;
}

/** Splits an SSE body into events, checking the framing (`event:` + `data:` + blank line). */
const parseSse = (body: string): SseMessage[] => {
  assert.ok(body.endsWith('\n\n'), 'SSE body ends with a blank line');
  return body
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      const lines = frame.split('\n');
      assert.equal(lines.length, 2, `frame has an event and a data line: ${frame}`);
      const [eventLine = '', dataLine = ''] = lines;
      assert.match(eventLine, /^event: \S+$/);
      assert.match(dataLine, /^data: \{/);
      const data = JSON.parse(dataLine.slice('data: '.length)) as JsonObject;
      const event = eventLine.slice('event: '.length);
      assert.equal(data.type, event, 'data.type repeats the event name');
      return { event, data };
    });
};

const responsesBody = (text: string, extraInput: JsonObject[] = [], stream = true): JsonObject => ({
  model: 'gpt-5.5',
  stream,
  tools: [{ type: 'function', name: 'exec_command' }, { type: 'web_search' }],
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'system [[fake:error:500]]' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context/>' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    ...extraInput,
  ],
});

const messagesBody = (text: string, extraMessages: JsonObject[] = [], stream = true): JsonObject => ({
  model: 'claude-opus-5-5',
  stream,
  max_tokens: 1000,
  tools: [{ name: 'Bash' }],
  messages: [{ role: 'user', content: [{ type: 'text', text }] }, ...extraMessages],
});

/** The `function_call` / `function_call_output` pair Codex sends back after running a command. */
const codexRound = (n: number, output: string): JsonObject[] => [
  { type: 'function_call', call_id: `call_${n}`, name: 'exec_command', arguments: '{}' },
  { type: 'function_call_output', call_id: `call_${n}`, output: `Chunk ID: x\nWall time: 0.01 seconds\nProcess exited with code 0\nOutput:\n${output}` },
];

const claudeRound = (n: number, output: string): JsonObject[] => [
  { role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${n}`, name: 'Bash', input: {} }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: output }] },
];

const post = (server: FakeModelServer, path: string, body: Json | string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const sse = async (response: Response): Promise<SseMessage[]> => {
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  return parseSse(await response.text());
};

/** The last `response.output_item.done` item of a Responses stream. */
const lastItem = (events: SseMessage[]): JsonObject => {
  const done = events.filter((e) => e.event === 'response.output_item.done');
  const item = done.at(-1)?.data.item;
  assert.ok(item !== undefined && item !== null && typeof item === 'object' && !Array.isArray(item));
  return item;
};

describe('fake model server', () => {
  let server: FakeModelServer;
  before(async () => {
    server = await startFakeModelServer({
      tickMs: 20,
      scripts: {
        captain: (conversation, args) =>
          conversation.toolResults.length === 0
            ? mcpToolCall(conversation.api, 'captain', 'status', { run: args[0] ?? 'none' })
            : `script saw: ${conversation.toolResults[0]?.output ?? ''}`,
        broken: () => {
          throw new Error('script exploded');
        },
      },
    });
  });
  after(() => server.close());

  it('listens on 127.0.0.1 and answers the control and metadata routes', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
    const health = (await (await fetch(`${server.url}/_fake/health`)).json()) as JsonObject;
    assert.equal(health.ok, true);
    assert.equal(health.defaultScenario, 'ok');
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as JsonObject;
    const ids = (models.data as JsonObject[]).map((m) => m.id);
    assert.deepEqual(ids, ['gpt-5.5', 'claude-opus-5-5']);
    const count = (await (await post(server, '/v1/messages/count_tokens', messagesBody('hello'))).json()) as JsonObject;
    assert.ok(typeof count.input_tokens === 'number' && count.input_tokens > 0);
    const missing = await fetch(`${server.url}/v2/nothing`);
    assert.equal(missing.status, 404);
  });

  it('refuses a host that is not loopback', async () => {
    await assert.rejects(startFakeModelServer({ host: '0.0.0.0' }), (error) => isCaptainError(error) && error.code === 'USAGE');
  });

  it('streams a Responses API answer with the event sequence Codex expects', async () => {
    const events = await sse(await post(server, '/v1/responses', responsesBody('hi [[fake:ok:first]] then [[fake:ok:Hello: world]]'), { session_id: 's-1' }));
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    const item = lastItem(events);
    assert.equal(item.type, 'message');
    assert.deepEqual(item.content, [{ type: 'output_text', text: 'Hello: world', annotations: [] }]);
    const usage = getKey(events.at(-1)?.data.response, 'usage');
    assert.ok(typeof getKey(usage, 'input_tokens') === 'number');
    assert.ok(typeof getKey(usage, 'output_tokens') === 'number');
    const logged = server.requests().at(-1);
    assert.equal(logged?.scenario, 'ok:Hello: world', 'the last marker of the user text wins; developer text is ignored');
    assert.equal(logged?.path, '/v1/responses');
    assert.equal(logged?.model, 'gpt-5.5');
    assert.equal(logged?.sessionId, 's-1');
    assert.deepEqual(logged?.tools, ['exec_command', 'web_search']);
  });

  it('runs steps statelessly: one exec_command per tool result so far, then the final text', async () => {
    const first = lastItem(await sse(await post(server, '/v1/responses', responsesBody('go [[fake:steps:2:0.05]]'))));
    assert.equal(first.type, 'function_call');
    assert.equal(first.name, 'exec_command');
    assert.deepEqual(JSON.parse(String(first.arguments)), { cmd: 'echo step 1 of 2', login: false });
    assert.ok(typeof first.call_id === 'string' && first.call_id !== '');
    const second = lastItem(await sse(await post(server, '/v1/responses', responsesBody('go [[fake:steps:2:0.05]]', codexRound(1, 'step 1 of 2')))));
    assert.deepEqual(JSON.parse(String(second.arguments)), { cmd: 'echo step 2 of 2', login: false });
    const started = Date.now();
    const done = lastItem(
      await sse(await post(server, '/v1/responses', responsesBody('go [[fake:steps:2:0.05]]', [...codexRound(1, 'a'), ...codexRound(2, 'b')]))),
    );
    assert.ok(Date.now() - started >= 45, 'each steps reply waits S seconds');
    assert.deepEqual(done.content, [{ type: 'output_text', text: 'FAKE_OK finished 2 steps', annotations: [] }]);
    assert.deepEqual(
      server.requests().slice(-3).map((r) => r.toolRounds),
      [0, 1, 2],
    );
  });

  it('answers shell:CMD with the command, then quotes the output part of the tool result', async () => {
    const call = lastItem(await sse(await post(server, '/v1/responses', responsesBody('[[fake:shell:echo a:b]]'))));
    assert.deepEqual(JSON.parse(String(call.arguments)), { cmd: 'echo a:b', login: false });
    const answer = lastItem(await sse(await post(server, '/v1/responses', responsesBody('[[fake:shell:echo a:b]]', codexRound(1, 'a:b\n')))));
    assert.deepEqual(answer.content, [{ type: 'output_text', text: 'FAKE_OK ran `echo a:b`; output: a:b', annotations: [] }]);
  });

  it('sends think:N as N reasoning items one tick apart', async () => {
    const started = Date.now();
    const events = await sse(await post(server, '/v1/responses', responsesBody('[[fake:think:3:done thinking]]')));
    assert.ok(Date.now() - started >= 55, 'three ticks of 20 ms');
    const reasoning = events.filter((e) => e.event === 'response.output_item.done' && getKey(e.data.item, 'type') === 'reasoning');
    assert.equal(reasoning.length, 3);
    assert.match(JSON.stringify(reasoning[2]?.data), /Fake thought 3\/3/);
    assert.deepEqual(lastItem(events).content, [{ type: 'output_text', text: 'done thinking', annotations: [] }]);
  });

  it('splits stream:N text into N deltas', async () => {
    const events = await sse(await post(server, '/v1/responses', responsesBody('[[fake:stream:3:abcdef]]')));
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta);
    assert.deepEqual(deltas, ['ab', 'cd', 'ef']);
  });

  it('waits delay:N (fractional seconds) before the headers', async () => {
    const started = Date.now();
    const response = await post(server, '/v1/responses', responsesBody('[[fake:delay:0.15:late]]'));
    assert.ok(Date.now() - started >= 140, 'no headers before the delay');
    assert.deepEqual(lastItem(await sse(response)).content, [{ type: 'output_text', text: 'late', annotations: [] }]);
  });

  it('answers error:CODE with the API error body of each wire format', async () => {
    const openai = await post(server, '/v1/responses', responsesBody('[[fake:error:400:bad request from fake]]'));
    assert.equal(openai.status, 400);
    assert.deepEqual(await openai.json(), {
      error: { message: 'bad request from fake', type: 'invalid_request_error', code: 'invalid_request_error', param: null },
    });
    const anthropic = await post(server, '/v1/messages', messagesBody('[[fake:error:529]]'));
    assert.equal(anthropic.status, 529);
    const body = (await anthropic.json()) as JsonObject;
    assert.equal(body.type, 'error');
    assert.deepEqual(getKey(body, 'error'), { type: 'overloaded_error', message: 'fake error 529' });
  });

  it('turns a malformed or unknown scenario into a 400 that names it', async () => {
    for (const spec of ['steps:x', 'nonsense', 'error:200']) {
      const response = await post(server, '/v1/responses', responsesBody(`[[fake:${spec}]]`));
      assert.equal(response.status, 400, spec);
      assert.match(JSON.stringify(await response.json()), new RegExp(`invalid scenario \\\\"${spec}\\\\"`));
    }
  });

  it('fails inside the stream for fail:MSG, and with HTTP 500 when the request does not stream', async () => {
    const openai = await sse(await post(server, '/v1/responses', responsesBody('[[fake:fail:model exploded]]')));
    assert.equal(openai.at(-1)?.event, 'response.failed');
    assert.equal(getKey(getKey(openai.at(-1)?.data.response, 'error'), 'message'), 'model exploded');
    const anthropic = await sse(await post(server, '/v1/messages', messagesBody('[[fake:fail:model exploded]]')));
    assert.deepEqual(anthropic.map((e) => e.event), ['message_start', 'error']);
    const plain = await post(server, '/v1/messages', messagesBody('[[fake:fail:model exploded]]', [], false));
    assert.equal(plain.status, 500);
  });

  it('fails the first K requests of each session for flaky:K[:CODE]', async () => {
    const statuses: number[] = [];
    for (const session of ['a', 'a', 'a', 'b']) {
      const response = await post(server, '/v1/responses', responsesBody('[[fake:flaky:2:503]]'), { session_id: session });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    assert.deepEqual(statuses, [503, 503, 200, 503]);
  });

  it('streams Anthropic text, thinking and Bash tool_use blocks', async () => {
    const events = await sse(await post(server, '/v1/messages', messagesBody('[[fake:think:1:hi]]')));
    assert.deepEqual(
      events.map((e) => e.event),
      [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ],
    );
    assert.deepEqual(events.map((e) => e.data.index).filter((i) => i !== undefined), [0, 0, 0, 0, 1, 1, 1]);
    assert.equal(getKey(getKey(events[6]?.data, 'delta'), 'text'), 'hi');
    assert.equal(getKey(getKey(events[8]?.data, 'delta'), 'stop_reason'), 'end_turn');

    const tool = await sse(await post(server, '/v1/messages', messagesBody('[[fake:steps:2:0]]', claudeRound(1, 'step 1 of 2'))));
    const start = getKey(tool[1]?.data, 'content_block');
    assert.equal(getKey(start, 'type'), 'tool_use');
    assert.equal(getKey(start, 'name'), 'Bash');
    const json = String(getKey(getKey(tool[2]?.data, 'delta'), 'partial_json'));
    assert.deepEqual(JSON.parse(json), { command: 'echo step 2 of 2', description: 'Run echo step 2 of 2' });
    assert.equal(getKey(getKey(tool.at(-2)?.data, 'delta'), 'stop_reason'), 'tool_use');
    assert.equal(server.requests().at(-1)?.toolRounds, 1);
  });

  it('answers a non-streaming Messages request with one JSON message', async () => {
    const response = await post(server, '/v1/messages', messagesBody('[[fake:shell:ls]]', [], false));
    assert.equal(response.status, 200);
    const body = (await response.json()) as JsonObject;
    assert.equal(body.type, 'message');
    assert.equal(body.stop_reason, 'tool_use');
    assert.deepEqual(
      (body.content as JsonObject[]).map((block) => [block.type, block.name, block.input]),
      [['tool_use', 'Bash', { command: 'ls', description: 'Run ls' }]],
    );
  });

  it('runs scripts with the conversation: MCP-style calls for both wire formats, then text', async () => {
    const call = lastItem(await sse(await post(server, '/v1/responses', responsesBody('[[fake:script:captain:run-7]]'))));
    assert.equal(call.type, 'function_call');
    assert.equal(call.name, 'status');
    assert.equal(call.namespace, 'mcp__captain');
    assert.deepEqual(JSON.parse(String(call.arguments)), { run: 'run-7' });
    const text = lastItem(await sse(await post(server, '/v1/responses', responsesBody('[[fake:script:captain]]', codexRound(1, 'all good')))));
    assert.match(JSON.stringify(text.content), /script saw: Chunk ID/);
    const claude = await sse(await post(server, '/v1/messages', messagesBody('[[fake:script:captain]]')));
    assert.equal(getKey(getKey(claude[1]?.data, 'content_block'), 'name'), 'mcp__captain__status');
    const unknown = await post(server, '/v1/responses', responsesBody('[[fake:script:nope]]'));
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /unknown script \\"nope\\" \(known: captain, broken\)/);
    const broken = await post(server, '/v1/responses', responsesBody('[[fake:script:broken]]'));
    assert.equal(broken.status, 500);
    assert.match(await broken.text(), /script exploded/);
  });

  it('uses the default scenario set over HTTP when no marker is present, and reset restores it', async () => {
    const set = await post(server, '/_fake/scenario', 'ok:from default');
    assert.deepEqual(await set.json(), { defaultScenario: 'ok:from default' });
    assert.deepEqual(lastItem(await sse(await post(server, '/v1/responses', responsesBody('no marker')))).content, [
      { type: 'output_text', text: 'from default', annotations: [] },
    ]);
    await (await post(server, '/_fake/scenario', { scenario: 'error:418' })).arrayBuffer();
    assert.equal((await post(server, '/v1/messages', messagesBody('no marker'))).status, 418);
    const requests = (await (await fetch(`${server.url}/_fake/requests`)).json()) as JsonObject[];
    assert.equal(requests.length, server.requests().length);
    assert.equal(requests.at(-1)?.scenario, 'error:418');
    await (await post(server, '/_fake/reset', '')).arrayBuffer();
    assert.equal(server.requests().length, 0);
    const after = await post(server, '/v1/messages', messagesBody('no marker'));
    assert.equal(after.status, 200);
    await after.arrayBuffer();
    assert.equal(server.requests()[0]?.scenario, 'ok');
  });

  it('resets the connection for drop', async () => {
    await assert.rejects(post(server, '/v1/responses', responsesBody('[[fake:drop]]')), TypeError);
  });
});

describe('fake model server close()', () => {
  it('ends hanging and half-streamed requests and stops listening', async () => {
    const server = await startFakeModelServer({ defaultScenario: 'hang' });
    const outcome = (promise: Promise<unknown>): Promise<string> =>
      promise.then(
        () => 'answered',
        () => 'rejected',
      );
    const hanging = outcome(post(server, '/v1/responses', responsesBody('wait')));
    const halfOpen = await post(server, '/v1/messages', messagesBody('[[fake:hang-stream]]'));
    assert.equal(halfOpen.status, 200, 'hang-stream sends headers');
    const reader = halfOpen.body?.getReader();
    assert.ok(reader);
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /^event: message_start\n/);
    const rest = outcome(reader.read());
    const timing = await Promise.race([hanging, new Promise((resolve) => setTimeout(() => resolve('still hanging'), 200))]);
    assert.equal(timing, 'still hanging');
    assert.equal(server.requests().length, 2);

    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, 'close does not wait for hanging requests');
    assert.equal(await hanging, 'rejected');
    assert.equal(await rest, 'rejected');
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      }),
    );
  });
});
