/**
 * The real Gemini CLI (`gemini --prompt=... --output-format stream-json`) against the fake model
 * server, offline, with a fresh GEMINI_CLI_HOME per case; cases run concurrently on one server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kindSpec } from '../../src/kinds/registry.js';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { FAKE_GEMINI_MODEL, geminiEnv, makeWorkerHome, resolveGeminiBin, writeGeminiHome } from '../../src/fake-model/worker-env.js';
import type { JsonObject } from '../../src/util/json.js';
import { eventsOfType, runCli, type CliRun } from './cli-run.js';

let server: FakeModelServer;
const dirs: string[] = [];

before(async () => {
  server = await startFakeModelServer({ tickMs: 100 });
});

after(async () => {
  await server.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const runGemini = async (prompt: string, extra: string[] = []): Promise<CliRun> => {
  const home = makeWorkerHome('gemini');
  writeGeminiHome(home);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
  dirs.push(home, cwd);
  // The argv captain itself builds for --kind gemini.
  const args = kindSpec('gemini').args({ prompt, cwd, sandbox: undefined, extra: ['--model', FAKE_GEMINI_MODEL, ...extra] });
  return runCli({ launcher: resolveGeminiBin(), args, cwd, env: geminiEnv(server.url, home), timeoutMs: 40_000 });
};

const types = (run: CliRun): string[] => run.events.map((event) => String(event.type));
const resultOf = (run: CliRun): JsonObject | undefined => run.events.at(-1);

describe('real Gemini CLI against the fake model server', { concurrency: true }, () => {
  it('ok: init, the user message, assistant text, a success result with token stats, exit 0', { timeout: 45_000 }, async (t) => {
    const run = await runGemini('Say hello. [[fake:ok:Hello from the fake model.]]');
    t.diagnostic(`gemini ok: ${run.elapsedMs} ms`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(types(run), ['init', 'message', 'message', 'result']);
    assert.match(String(run.events[0]?.session_id), /^[0-9a-f-]{36}$/);
    assert.equal(run.events[0]?.model, FAKE_GEMINI_MODEL);
    assert.equal(run.events[2]?.role, 'assistant');
    assert.equal(run.events[2]?.content, 'Hello from the fake model.');
    const result = resultOf(run);
    assert.equal(result?.status, 'success');
    const stats = result?.stats as JsonObject;
    assert.ok(Number(stats.input_tokens) > 100, JSON.stringify(stats));
    assert.ok(Number(stats.output_tokens) > 0);
    assert.ok((stats.models as JsonObject)[FAKE_GEMINI_MODEL], 'per-model counts, keyed by the model the server named');
    const requests = server.requests().filter((request) => request.scenario === 'ok:Hello from the fake model.');
    assert.deepEqual(
      requests.map((request) => [request.path, request.api, request.model, request.stream]),
      [[`/v1beta/models/${FAKE_GEMINI_MODEL}:streamGenerateContent`, 'gemini.generate', FAKE_GEMINI_MODEL, true]],
      'one model request: no routing classifier, no retries',
    );
  });

  for (const status of [400, 500]) {
    it(`error:${status}: an error result quoting the API error, no retry, exit status & 0xff`, { timeout: 45_000 }, async () => {
      const run = await runGemini(`Fail please. [[fake:error:${status}:fake says no ${status}]]`);
      assert.deepEqual(types(run), ['init', 'message', 'result']);
      const result = resultOf(run);
      assert.equal(result?.status, 'error');
      assert.match(String((result?.error as JsonObject).message), new RegExp(`fake says no ${status}`));
      // The CLI exits with the HTTP status as its exit code (truncated to 8 bits).
      assert.equal(run.code, status & 0xff);
      assert.equal(server.requests().filter((request) => request.scenario.startsWith(`error:${status}`)).length, 1);
    });
  }

  it('shell: with --approval-mode yolo it runs run_shell_command and answers with the output', { timeout: 45_000 }, async () => {
    const run = await runGemini('Run it. [[fake:shell:echo gemini-tool-42]]', ['--approval-mode', 'yolo']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(types(run), ['init', 'message', 'tool_use', 'tool_result', 'message', 'result']);
    const [use] = eventsOfType(run, 'tool_use');
    assert.equal(use?.tool_name, 'run_shell_command');
    assert.deepEqual((use?.parameters as JsonObject).command, 'echo gemini-tool-42');
    const [toolResult] = eventsOfType(run, 'tool_result');
    assert.equal(toolResult?.status, 'success');
    assert.equal(toolResult?.output, 'gemini-tool-42');
    assert.match(String(run.events[4]?.content), /ran `echo gemini-tool-42`; output: gemini-tool-42/);
  });
});
