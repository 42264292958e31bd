/** The fake model server's Gemini API over plain fetch: routes, SSE `data:` chunks, usage, tool rounds, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import type { JsonObject } from '../../src/util/json.js';

let server: FakeModelServer;
before(async () => {
  server = await startFakeModelServer({ tickMs: 10 });
});
after(async () => {
  await server.close();
});

const MODEL = 'gemini-2.5-flash';
const body = (text: string, rounds: JsonObject[] = []): JsonObject => ({
  contents: [{ role: 'user', parts: [{ text: '<session_context>…</session_context>' }, { text }] }, ...rounds],
  tools: [{ functionDeclarations: [{ name: 'run_shell_command' }, { name: 'glob' }] }],
});
/** What the Gemini CLI sends back after running a shell command. */
const shellRound = (n: number, output: string): JsonObject[] => [
  { role: 'model', parts: [{ functionCall: { id: `c${n}`, name: 'run_shell_command', args: {} } }] },
  { role: 'user', parts: [{ functionResponse: { id: `c${n}`, name: 'run_shell_command', response: { output: `<untrusted_context>\nOutput: ${output}\nProcess Group PGID: 42\n</untrusted_context>` } } }] },
];
const post = (action: string, payload: JsonObject): Promise<Response> =>
  fetch(`${server.url}/v1beta/models/${MODEL}:${action}${action === 'streamGenerateContent' ? '?alt=sse' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
/** `data: {...}` frames only, as the Gemini SDK reads them. */
const chunks = async (response: Response): Promise<JsonObject[]> => {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((frame) => frame !== '')
    .map((frame) => {
      assert.match(frame, /^data: \{/, `a data-only frame: ${frame}`);
      return JSON.parse(frame.slice('data: '.length)) as JsonObject;
    });
};
const parts = (chunk: JsonObject | undefined): JsonObject[] =>
  ((((chunk?.candidates as JsonObject[] | undefined)?.[0]?.content as JsonObject | undefined)?.parts as JsonObject[] | undefined) ?? []);

describe('fake model server: Gemini API', () => {
  it('streamGenerateContent: text chunks, then finishReason STOP with usageMetadata; the model echoed', async () => {
    const response = await post('streamGenerateContent', body('hi [[fake:stream:3:abcdef]]'));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const all = await chunks(response);
    assert.equal(all.map((chunk) => parts(chunk).map((part) => part.text).join('')).join(''), 'abcdef');
    const last = all.at(-1) as JsonObject;
    assert.equal((last.candidates as JsonObject[])[0]?.finishReason, 'STOP');
    assert.equal(last.modelVersion, MODEL);
    const usage = last.usageMetadata as JsonObject;
    assert.ok(Number(usage.promptTokenCount) > 0 && Number(usage.candidatesTokenCount) > 0);
    assert.equal(usage.totalTokenCount, Number(usage.promptTokenCount) + Number(usage.candidatesTokenCount));
    const logged = server.requests().at(-1);
    assert.deepEqual([logged?.api, logged?.path, logged?.model, logged?.stream, logged?.tools], [
      'gemini.generate', `/v1beta/models/${MODEL}:streamGenerateContent`, MODEL, true, ['run_shell_command', 'glob'],
    ]);
  });

  it('steps: one run_shell_command call per round, counted from functionResponse parts, then the answer', async () => {
    const first = parts((await chunks(await post('streamGenerateContent', body('go [[fake:steps:2:0]]'))))[0]);
    assert.deepEqual((first[0]?.functionCall as JsonObject).args, { command: 'echo step 1 of 2', description: 'Run echo step 1 of 2' });
    const second = parts((await chunks(await post('streamGenerateContent', body('go [[fake:steps:2:0]]', shellRound(1, 'step 1 of 2')))))[0]);
    assert.equal((second[0]?.functionCall as JsonObject).name, 'run_shell_command');
    const done = await chunks(await post('streamGenerateContent', body('go [[fake:steps:2:0]]', [...shellRound(1, 'a'), ...shellRound(2, 'b')])));
    assert.equal(parts(done[0])[0]?.text, 'FAKE_OK finished 2 steps');
    const shell = await chunks(await post('streamGenerateContent', body('x [[fake:shell:echo hi]]', shellRound(1, 'hi'))));
    assert.equal(parts(shell[0])[0]?.text, 'FAKE_OK ran `echo hi`; output: hi', 'the output is read out of the CLI wrapper');
  });

  it('generateContent answers one JSON body; countTokens counts; errors use the Gemini error shape', async () => {
    const whole = (await (await post('generateContent', body('x [[fake:think:2:done]]'))).json()) as JsonObject;
    assert.deepEqual(parts(whole).map((part) => [part.thought ?? false, typeof part.text]), [[true, 'string'], [true, 'string'], [false, 'string']]);
    assert.ok(Number((whole.usageMetadata as JsonObject).thoughtsTokenCount) > 0);
    const count = (await (await post('countTokens', body('x'))).json()) as JsonObject;
    assert.ok(Number(count.totalTokens) > 0);
    const error = await post('streamGenerateContent', body('x [[fake:error:429:slow down]]'));
    assert.equal(error.status, 429);
    assert.deepEqual(await error.json(), { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } });
    const fail = await chunks(await post('streamGenerateContent', body('x [[fake:fail:boom]]')));
    assert.deepEqual(fail, [{ error: { code: 500, message: 'boom', status: 'INTERNAL' } }]);
  });
});
